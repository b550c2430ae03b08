/// finmon's whole configuration: one value for every row of `ConfigTable`, read from
/// `config/monitoring_config.yaml` (`load(path:)`), from text (`parse(text:)`), or the
/// defaults (`MonitoringConfig.defaults`, what an empty file means).
///
/// Values are read by their dotted YAML path, so a setting has one name in the file,
/// the code, the README and Python:
///
/// ```swift
/// let config = try MonitoringConfig.load(path: "config/monitoring_config.yaml")
/// let port = config.int("monitoring.prometheus.port")             // 8000
/// let every = config.double("monitoring.alerts.evaluation_interval") // 10.0 seconds
/// ```
public struct MonitoringConfig: Sendable, Equatable {
    private var values: [String: ConfigValue]
    /// The line each key the file set explicitly was read from, by its path in the
    /// design's layout (for "which wins" rules and messages).
    public private(set) var setInFile: [String: Int] = [:]
    /// What was accepted with a warning: keys of the previous layout, settings in disagreement.
    public internal(set) var warnings: [ConfigWarning] = []

    public init() {
        values = Dictionary(ConfigTable.keys.map { ($0.path, $0.defaultValue) }, uniquingKeysWith: { first, _ in first })
    }

    public static let defaults = MonitoringConfig()

    /// Equal when every value is: where a value came from does not matter.
    public static func == (lhs: MonitoringConfig, rhs: MonitoringConfig) -> Bool {
        lhs.values == rhs.values
    }

    /// The value at `path`; `.null` for a path that is not in the table.
    public subscript(path: String) -> ConfigValue {
        guard let value = values[path] else {
            assertionFailure("\(path) is not a row of ConfigTable")
            return .null
        }
        return value
    }

    public func bool(_ path: String) -> Bool {
        if case .bool(let value) = self[path] { return value }
        return false
    }

    public func int(_ path: String) -> Int {
        switch self[path] {
        case .int(let value): return value
        case .number(let value): return Int(exactly: value.rounded()) ?? 0
        default: return 0
        }
    }

    public func double(_ path: String) -> Double {
        switch self[path] {
        case .number(let value): return value
        case .int(let value): return Double(value)
        default: return 0
        }
    }

    /// The string at `path`, nil for null.
    public func string(_ path: String) -> String? {
        if case .string(let value) = self[path] { return value }
        return nil
    }

    public func strings(_ path: String) -> [String] {
        if case .strings(let value) = self[path] { return value }
        return []
    }

    public func labels(_ path: String) -> [String: String] {
        if case .labels(let value) = self[path] { return value }
        return [:]
    }

    /// Sets one value after checking it against its row, as if the file had set it.
    /// Settings linked to it (see `linked`) follow.
    public mutating func set(_ path: String, _ value: ConfigValue, line: Int = 0) throws(ConfigError) {
        guard let key = ConfigTable.key(path) else {
            throw ConfigError(kind: .unknownKey, file: "", line: line, column: 0, keyPath: path, message: "unknown key")
        }
        let checked = try key.type.decode(value.yamlNode, at: ConfigLocation(fileName: "", keyPath: path, line: line, column: 0))
        values[path] = checked
        setInFile[path] = line
        for (first, second) in Self.linked where first == path || second == path {
            values[first == path ? second : first] = checked
        }
    }

    /// Sets a value read from the file (already checked against its row).
    mutating func assign(_ path: String, _ value: ConfigValue, line: Int) {
        values[path] = value
        setInFile[path] = line
    }

    /// Pairs of settings the original design writes in two places that mean one thing:
    /// the first (the alert's) wins when the file sets both; either one alone sets both.
    public static let linked: [(String, String)] = [
        ("monitoring.alerts.diversity_collapse.threshold", "monitoring.diversity_monitor.diversity_collapse_threshold"),
        ("monitoring.alerts.diversity_collapse.window", "monitoring.diversity_monitor.diversity_collapse_window"),
    ]

    /// Makes each linked pair one value, warning when the file set both differently.
    mutating func resolveLinked(fileName: String) {
        for (winner, loser) in Self.linked {
            let winnerLine = setInFile[winner]
            let loserLine = setInFile[loser]
            switch (winnerLine, loserLine) {
            case (.some, .some(let line)) where values[winner] != values[loser]:
                warnings.append(ConfigWarning(
                    file: fileName, line: line, keyPath: loser,
                    message: "disagrees with \(winner) (\(self[winner]) against \(self[loser])); "
                        + "\(self[winner]) is used for both, the alert's value wins"))
                values[loser] = values[winner]
            case (.some, _):
                values[loser] = values[winner]
            case (nil, .some):
                values[winner] = values[loser]
            default:
                break
            }
        }
    }
}

extension MonitoringConfig {
    /// `monitoring.alerts.severities.*` as a table.
    public var severities: PerAlertType<Severity> {
        var table = PerAlertType<Severity>(repeating: .warning)
        for type in AlertType.allCases {
            table[type] = string("monitoring.alerts.severities.\(type.rawValue)").flatMap(Severity.init) ?? .warning
        }
        return table
    }

    /// `monitoring.alerts.for_seconds.*` as a table.
    public var forSeconds: PerAlertType<Double> {
        var table = PerAlertType<Double>(repeating: 0)
        for type in AlertType.allCases { table[type] = double("monitoring.alerts.for_seconds.\(type.rawValue)") }
        return table
    }
}
