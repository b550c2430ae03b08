/// Everything that can be wrong with a config file, located precisely enough that the
/// user can fix it without guessing: file, 1-based line and column, and the dotted key
/// path of the offending value when there is one.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or read.
        case unreadable
        /// libyaml rejected the text.
        case syntax
        /// Valid YAML that finmon does not accept (anchors, tags, duplicate keys, nesting).
        case unsupported
        case unknownKey
        case wrongType
        case outOfRange
    }

    public let kind: Kind
    public let file: String
    /// 1-based; 0 when the error has no position (an unreadable file).
    public let line: Int
    /// 1-based; 0 when unknown.
    public let column: Int
    /// Dotted path such as `alerts.diversity_collapse.window`; empty when not about a key.
    public let keyPath: String
    public let message: String

    public init(kind: Kind, file: String, line: Int, column: Int, keyPath: String = "", message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// Compiler-style, so editors and terminals can jump to the spot:
    /// `monitoring_config.yaml:14: alerts.diversity_collapse.window: must be a positive integer, got -3`.
    /// Syntax errors carry the column too, because libyaml points inside the line.
    public var description: String {
        var location = file
        if line > 0 {
            location += ":\(line)"
            if keyPath.isEmpty && column > 0 { location += ":\(column)" }
        }
        if keyPath.isEmpty { return "\(location): \(message)" }
        return "\(location): \(keyPath): \(message)"
    }
}
