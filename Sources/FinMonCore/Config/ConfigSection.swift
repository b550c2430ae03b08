/// A reader over one mapping of the config that knows its dotted key path, so every
/// validation error can name the key and line. Unknown keys are rejected up front.
struct ConfigSection {
    let fileName: String
    let path: String
    private let entries: [YAMLNode.Entry]

    /// `node` nil or a YAML null (a section written as `alerts:` with nothing under it)
    /// reads as an empty mapping: all defaults.
    init(node: YAMLNode?, path: String, fileName: String, allowed: [String]) throws(ConfigError) {
        self.fileName = fileName
        self.path = path
        switch node?.content {
        case nil:
            entries = []
        case .scalar(let scalar) where scalar.isNull:
            entries = []
        case .mapping(let entries):
            self.entries = entries
        case .some(let content):
            let node = node ?? YAMLNode(content, line: 0, column: 0)
            throw ConfigError(
                kind: .wrongType, file: fileName, line: node.line, column: node.column, keyPath: path,
                message: path.isEmpty
                    ? "the top level must be a mapping, got \(Self.describe(node))"
                    : "must be a mapping, got \(Self.describe(node))")
        }
        for entry in entries where !allowed.contains(entry.key) {
            throw ConfigError(
                kind: .unknownKey, file: fileName, line: entry.keyLine, column: entry.keyColumn,
                keyPath: keyPath(entry.key),
                message: "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func keyPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    private func entry(_ key: String) -> YAMLNode.Entry? {
        entries.first { $0.key == key }
    }

    /// An error when a key the file sets disagrees with another setting it must equal.
    func requireEqual(_ key: String, _ value: Int, to expected: Int, because reason: String) throws(ConfigError) {
        guard value != expected, let entry = entry(key) else { return }
        throw error(.outOfRange, entry, "must equal \(reason) (\(expected)), got \(value)")
    }

    /// Keys present in the file, in document order (for the per-alert-type tables).
    var keys: [String] { entries.map(\.key) }

    func section(_ key: String, allowed: [String]) throws(ConfigError) -> ConfigSection {
        try ConfigSection(node: entry(key)?.value, path: keyPath(key), fileName: fileName, allowed: allowed)
    }

    func error(_ kind: ConfigError.Kind, _ entry: YAMLNode.Entry, _ message: String) -> ConfigError {
        ConfigError(
            kind: kind, file: fileName, line: entry.keyLine, column: entry.keyColumn,
            keyPath: keyPath(entry.key), message: message)
    }

    /// What the user wrote, for "got ..." in messages: plain scalars as written, quoted
    /// ones in double quotes so `"5"` and `5` are told apart.
    static func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            if scalar.isNull { return "null" }
            if scalar.isPlain && scalar.tag == nil { return scalar.text }
            return "\"\(scalar.text)\""
        }
    }

    private func scalar(_ entry: YAMLNode.Entry) -> YAMLNode.Scalar? {
        if case .scalar(let scalar) = entry.value.content { return scalar }
        return nil
    }

    func bool(_ key: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let entry = entry(key) else { return value }
        guard let bool = scalar(entry)?.boolValue else {
            throw error(.wrongType, entry, "must be true or false, got \(Self.describe(entry.value))")
        }
        return bool
    }

    /// `requirement` completes "must be ...", e.g. "a positive integer".
    func int(_ key: String, default value: Int, requirement: String, valid: (Int) -> Bool) throws(ConfigError) -> Int {
        guard let entry = entry(key) else { return value }
        let got = Self.describe(entry.value)
        guard let int = scalar(entry)?.intValue else {
            throw error(.wrongType, entry, "must be \(requirement), got \(got)")
        }
        guard valid(int) else { throw error(.outOfRange, entry, "must be \(requirement), got \(got)") }
        return int
    }

    /// Non-finite numbers (`.inf`, `.nan`) are always out of range: no setting wants them.
    func double(_ key: String, default value: Double, requirement: String, valid: (Double) -> Bool) throws(ConfigError) -> Double {
        guard let entry = entry(key) else { return value }
        let got = Self.describe(entry.value)
        guard let double = scalar(entry)?.doubleValue else {
            throw error(.wrongType, entry, "must be \(requirement), got \(got)")
        }
        guard double.isFinite, valid(double) else {
            throw error(.outOfRange, entry, "must be \(requirement), got \(got)")
        }
        return double
    }

    func seconds(_ key: String, default value: Double) throws(ConfigError) -> Double {
        try double(key, default: value, requirement: "a positive number of seconds") { $0 > 0 }
    }

    func positiveInt(_ key: String, default value: Int) throws(ConfigError) -> Int {
        try int(key, default: value, requirement: "a positive integer") { $0 >= 1 }
    }

    func percent(_ key: String, default value: Double) throws(ConfigError) -> Double {
        try double(key, default: value, requirement: "a percentage in (0, 100]") { $0 > 0 && $0 <= 100 }
    }

    func string(_ key: String, default value: String) throws(ConfigError) -> String {
        guard let entry = entry(key) else { return value }
        guard let string = scalar(entry)?.stringValue else {
            throw error(.wrongType, entry, "must be a string, got \(Self.describe(entry.value))")
        }
        guard !string.isEmpty else { throw error(.outOfRange, entry, "must not be empty") }
        return string
    }

    func optionalString(_ key: String, default value: String?) throws(ConfigError) -> String? {
        guard let entry = entry(key) else { return value }
        if let scalar = scalar(entry), scalar.isNull { return nil }
        guard let string = scalar(entry)?.stringValue else {
            throw error(.wrongType, entry, "must be a string or null, got \(Self.describe(entry.value))")
        }
        guard !string.isEmpty else { throw error(.outOfRange, entry, "must not be empty (use null to disable)") }
        return string
    }

    /// An `http://` base URL finmon can reach itself. HTTPS is refused here rather than at
    /// the first alert: finmon's client speaks plain HTTP, and HTTPS receivers (Slack,
    /// PagerDuty, e-mail) are Alertmanager's job.
    func url(_ key: String, default value: String?) throws(ConfigError) -> String? {
        guard let entry = entry(key) else { return value }
        guard let url = try optionalString(key, default: value) else { return nil }
        if url.lowercased().hasPrefix("https://") {
            throw error(.outOfRange, entry,
                "must be an http:// URL (finmon sends plain HTTP; let Alertmanager reach HTTPS receivers), got \"\(url)\"")
        }
        guard url.lowercased().hasPrefix("http://") else {
            throw error(.outOfRange, entry, "must be an http:// URL, got \"\(url)\"")
        }
        do {
            _ = try HTTPEndpoint.parseBaseURL(url)
        } catch {
            throw self.error(.outOfRange, entry, "is not a usable URL: \(error)")
        }
        return url
    }

    /// A mapping of extra Prometheus labels: names as Prometheus allows them and not in
    /// `reserved` (labels finmon sets itself), values non-empty strings.
    func labels(_ key: String, default value: [String: String], reserved: [String]) throws(ConfigError) -> [String: String] {
        guard let entry = entry(key) else { return value }
        if case .scalar(let scalar) = entry.value.content, scalar.isNull { return [:] }
        guard case .mapping(let entries) = entry.value.content else {
            throw error(.wrongType, entry, "must be a mapping of label names to strings, got \(Self.describe(entry.value))")
        }
        let table = try ConfigSection(node: entry.value, path: keyPath(key), fileName: fileName, allowed: entries.map(\.key))
        var result: [String: String] = [:]
        for label in entries {
            do {
                try MetricName.validateLabelName(label.key)
            } catch {
                throw table.error(.outOfRange, label, "is not a valid Prometheus label name")
            }
            guard !reserved.contains(label.key) else {
                throw table.error(.outOfRange, label, "is set by finmon itself (reserved: \(reserved.joined(separator: ", ")))")
            }
            guard case .scalar(let scalar) = label.value.content, let text = scalar.stringValue else {
                throw table.error(.wrongType, label, "must be a string, got \(Self.describe(label.value))")
            }
            guard !text.isEmpty else { throw table.error(.outOfRange, label, "must not be empty") }
            result[label.key] = text
        }
        return result
    }

    /// A string that must be one of `choices`.
    func choice(_ key: String, default value: String, choices: [String]) throws(ConfigError) -> String {
        guard let entry = entry(key) else { return value }
        let string = scalar(entry)?.stringValue
        guard let string, choices.contains(string) else {
            throw error(
                string == nil ? .wrongType : .outOfRange, entry,
                "must be one of \(choices.joined(separator: ", ")), got \(Self.describe(entry.value))")
        }
        return string
    }

    /// A list of strings, each one of `choices`.
    func stringList(_ key: String, default value: [String], choices: [String]) throws(ConfigError) -> [String] {
        guard let entry = entry(key) else { return value }
        guard case .sequence(let items) = entry.value.content else {
            throw error(.wrongType, entry, "must be a list of strings, got \(Self.describe(entry.value))")
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(keyPath(key))[\(index)]"
            var string: String?
            if case .scalar(let scalar) = item.content { string = scalar.stringValue }
            guard let string, choices.contains(string) else {
                throw ConfigError(
                    kind: string == nil ? .wrongType : .outOfRange, file: fileName, line: item.line, column: item.column,
                    keyPath: itemPath,
                    message: "must be one of \(choices.joined(separator: ", ")), got \(Self.describe(item))")
            }
            result.append(string)
        }
        return result
    }
}
