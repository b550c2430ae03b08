#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MonitoringConfig {
    /// Reads and validates a config file. Errors name the file as `path` was given.
    public static func load(path: String) throws(ConfigError) -> MonitoringConfig {
        let bytes = try readFile(path)
        return try decode(YAMLLoader.load(bytes: bytes, fileName: path), fileName: path)
    }

    /// Validates config text; `fileName` is only used in messages.
    public static func parse(text: String, fileName: String = "monitoring_config.yaml") throws(ConfigError) -> MonitoringConfig {
        try decode(YAMLLoader.load(text: text, fileName: fileName), fileName: fileName)
    }

    /// Applies overrides given as a YAML (or JSON) mapping of dotted key paths to values,
    /// `{"monitoring.prometheus.port": 0}`, each checked against its row. `name` stands
    /// for the text in messages.
    public mutating func apply(overrides text: String, name: String = "<overrides>") throws(ConfigError) {
        let root = try YAMLLoader.load(text: text, fileName: name)
        guard let root else { return }
        let location = ConfigLocation(fileName: name, keyPath: "", line: root.line, column: root.column)
        guard case .mapping(let entries) = root.content else {
            if case .scalar(let scalar) = root.content, scalar.isNull { return }
            throw location.error(.wrongType, "overrides must be a mapping of key paths to values, got \(ConfigType.describe(root))")
        }
        for entry in entries {
            let here = ConfigLocation(fileName: name, keyPath: entry.key, line: entry.keyLine, column: entry.keyColumn)
            guard let key = ConfigTable.key(entry.key) else {
                throw here.error(.unknownKey, "unknown key (a dotted path such as monitoring.prometheus.port)")
            }
            let value = try key.type.decode(entry.value, at: here)
            assign(key.path, value, line: 0)
            for (first, second) in Self.linked where first == key.path || second == key.path {
                assign(first == key.path ? second : first, value, line: 0)
            }
        }
    }

    /// A config file is small; anything bigger is a wrong path (a log, a device), not a config.
    static let maxFileBytes = 4 << 20

    static func readFile(_ path: String) throws(ConfigError) -> [UInt8] {
        func failure(_ message: String) -> ConfigError {
            ConfigError(kind: .unreadable, file: path, line: 0, column: 0, message: message)
        }
        func errnoText() -> String {
            let code = errno
            return "\(String(cString: strerror(code))) (errno \(code))"
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open: \(errnoText())") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read: \(errnoText())")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > maxFileBytes { throw failure("larger than \(maxFileBytes) bytes; not a config file") }
        }
    }

    static func decode(_ root: YAMLNode?, fileName: String) throws(ConfigError) -> MonitoringConfig {
        var reader = ConfigReader(fileName: fileName)
        try reader.read(root, written: "", line: 1, column: 1)
        var config = MonitoringConfig()
        for leaf in reader.leaves { config.assign(leaf.path, leaf.value, line: leaf.line) }
        config.warnings = reader.warnings
        config.resolveLinked(fileName: fileName)
        return config
    }
}

/// Walks the YAML tree against the table: sections are the prefixes of the keys' paths,
/// leaves are checked by their row's type, keys of the previous layout are moved to
/// their new place with a warning.
private struct ConfigReader {
    struct Leaf {
        let path: String
        let written: String
        let value: ConfigValue
        let line: Int
    }

    let fileName: String
    var leaves: [Leaf] = []
    var warnings: [ConfigWarning] = []

    init(fileName: String) {
        self.fileName = fileName
    }

    mutating func read(_ node: YAMLNode?, written: String, line: Int, column: Int) throws(ConfigError) {
        let location = ConfigLocation(fileName: fileName, keyPath: written, line: node?.line ?? line, column: node?.column ?? column)
        let entries: [YAMLNode.Entry]
        switch node?.content {
        case nil:
            return
        case .scalar(let scalar) where scalar.isNull:
            return  // `alerts:` with nothing under it: all defaults
        case .mapping(let mapping):
            entries = mapping
        case .some:
            let got = node.map(ConfigType.describe) ?? "null"
            throw location.error(.wrongType, written.isEmpty
                ? "the top level must be a mapping, got \(got)" : "must be a mapping, got \(got)")
        }
        for entry in entries {
            let childWritten = written.isEmpty ? entry.key : "\(written).\(entry.key)"
            let path = ConfigMigration.migrate(childWritten)
            let here = ConfigLocation(fileName: fileName, keyPath: childWritten, line: entry.keyLine, column: entry.keyColumn)
            if let key = ConfigTable.key(path) {
                try addLeaf(key: key, value: try key.type.decode(entry.value, at: here), written: childWritten, at: here)
            } else if ConfigTable.children[path] != nil || ConfigMigration.isOldSection(childWritten) {
                try read(entry.value, written: childWritten, line: entry.keyLine, column: entry.keyColumn)
            } else {
                let expected = (ConfigTable.children[ConfigMigration.migrate(written)] ?? []).sorted()
                throw here.error(.unknownKey, expected.isEmpty
                    ? "unknown key" : "unknown key (expected one of: \(expected.joined(separator: ", ")))")
            }
        }
    }

    private mutating func addLeaf(key: ConfigKey, value: ConfigValue, written: String, at here: ConfigLocation) throws(ConfigError) {
        if let earlier = leaves.first(where: { $0.path == key.path }), earlier.value != value {
            throw here.error(.outOfRange,
                "sets \(key.path) again, to \(value), after \(earlier.written) set it to \(earlier.value) on line \(earlier.line)")
        }
        if written != key.path {
            warnings.append(ConfigWarning(
                file: fileName, line: here.line, keyPath: written,
                message: "deprecated key of the previous layout; it is now \(key.path)"))
        }
        leaves.append(Leaf(path: key.path, written: written, value: value, line: here.line))
    }
}
