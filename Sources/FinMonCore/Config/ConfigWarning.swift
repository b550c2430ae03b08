/// Something in a config file that finmon accepted but the user should change: a key of
/// the previous layout (with its new place), or two settings that disagree.
public struct ConfigWarning: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    /// 1-based; 0 when the warning is about no line in particular.
    public let line: Int
    /// The key path as written in the file.
    public let keyPath: String
    public let message: String

    public init(file: String, line: Int, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.message = message
    }

    /// `monitoring_config.yaml:12: alerts.evaluation_interval_seconds: deprecated; now monitoring.alerts.evaluation_interval`
    public var description: String {
        (line > 0 ? "\(file):\(line): " : "\(file): ") + (keyPath.isEmpty ? "" : "\(keyPath): ") + message
    }

    var json: JSONValue {
        .orderedObject([
            ("file", .string(file)), ("line", .int(line)), ("key_path", .string(keyPath)),
            ("message", .string(message)), ("text", .string(description)),
        ])
    }
}
