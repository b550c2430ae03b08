/// One row of the config table: a setting's dotted path, type and bounds, default, and
/// one line of documentation.
///
/// ```swift
/// ConfigKey("monitoring.prometheus.port", .integer(min: 0, max: 65535), .int(8000),
///           "port of the /metrics endpoint; 0 picks a free one", design: true)
/// ```
public struct ConfigKey: Sendable {
    /// Dotted path in the YAML file, e.g. `monitoring.alerts.success_rate.window_iterations`.
    public let path: String
    public let type: ConfigType
    /// The value an absent key has. Must satisfy `type` (a test checks every row).
    public let defaultValue: ConfigValue
    /// One line, shown as the YAML comment and in the README's settings table.
    public let doc: String
    /// True for the settings of the original design's config example.
    public let design: Bool

    public init(_ path: String, _ type: ConfigType, _ defaultValue: ConfigValue, _ doc: String, design: Bool = false) {
        self.path = path
        self.type = type
        self.defaultValue = defaultValue
        self.doc = doc
        self.design = design
    }

    /// The last component of the path: the key as written in its section.
    public var name: String { path.split(separator: ".").last.map(String.init) ?? path }

    /// The section path (`monitoring.alerts.success_rate`), empty at the top level.
    public var section: String {
        guard let dot = path.lastIndex(of: ".") else { return "" }
        return String(path[..<dot])
    }
}
