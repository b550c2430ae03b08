/// What one setting accepts: its type and bounds. The loader's checks, its error
/// messages and the "type" column of the settings table all come from here.
public enum ConfigType: Sendable, Equatable {
    case bool
    /// An integer in `min...max`.
    case integer(min: Int, max: Int)
    /// A finite number within the bounds (thresholds, percentages).
    case number(ConfigBounds)
    /// A finite number of seconds within the bounds (intervals, timeouts, windows).
    case seconds(ConfigBounds)
    /// A non-empty string (file names, labels).
    case string
    /// An address to listen on: an IPv4 or IPv6 literal, or a host name.
    case host
    /// A non-empty string, or null.
    case optionalString
    /// An http:// URL finmon sends to itself, or null (HTTPS receivers are Alertmanager's job).
    case sendURL
    /// An http:// or https:// URL another program uses (Grafana's datasource).
    case url
    /// The path an HTTP server answers at: starts with `/`, no query or fragment.
    case urlPath
    /// A Prometheus / Grafana duration such as `5s`, `1m30s`, `500ms`.
    case duration
    /// One of a few words.
    case choice([String])
    /// A list of words, each one of `choices`.
    case list([String])
    /// A mapping of Prometheus label names to non-empty strings, none of them `reserved`.
    case labels(reserved: [String])

    /// Integers from 1 up.
    public static let positiveInteger = ConfigType.integer(min: 1, max: Int.max)

    /// The type column of the settings table: `integer in [1, 1000000]`, `seconds in [0.01, 86400]`.
    public var summary: String {
        switch self {
        case .bool: "true or false"
        case .integer(let min, let max): "integer " + Self.range(min, max)
        case .number(let bounds): "number in \(bounds)"
        case .seconds(let bounds): "seconds in \(bounds)"
        case .string: "string"
        case .host: "IP address or host name"
        case .optionalString: "string or null"
        case .sendURL: "http:// URL or null"
        case .url: "http:// or https:// URL"
        case .urlPath: "URL path"
        case .duration: "duration (\"5s\", \"1m\")"
        case .choice(let choices): "one of " + choices.joined(separator: ", ")
        case .list(let choices): "list of " + choices.joined(separator: ", ")
        case .labels: "mapping of label names to strings"
        }
    }

    /// Completes "must be ...".
    var requirement: String {
        switch self {
        case .bool: "true or false"
        case .integer(1, Int.max): "a positive integer"
        case .integer(let min, let max): "an integer " + Self.range(min, max)
        case .number(let bounds): "a number in \(bounds)"
        case .seconds(let bounds): "a number of seconds in \(bounds)"
        case .string: "a string"
        case .host: "an IPv4 or IPv6 address or a host name"
        case .optionalString, .sendURL: "a string or null"
        case .url: "an http:// or https:// URL"
        case .urlPath: "a URL path starting with /"
        case .duration: "a duration such as \"5s\" or \"1m\""
        case .choice(let choices): "one of " + choices.joined(separator: ", ")
        case .list: "a list of strings"
        case .labels: "a mapping of label names to strings"
        }
    }

    private static func range(_ min: Int, _ max: Int) -> String {
        max == Int.max ? ">= \(min)" : "in [\(min), \(max)]"
    }
}

/// Bounds of a number setting, open or closed at each end: `(0, 100]`, `[0.01, 86400]`.
public struct ConfigBounds: Sendable, Equatable, CustomStringConvertible {
    public let lower: Double
    public let lowerOpen: Bool
    public let upper: Double
    public let upperOpen: Bool

    public init(_ lower: Double, _ upper: Double, lowerOpen: Bool = false, upperOpen: Bool = false) {
        self.lower = lower
        self.upper = upper
        self.lowerOpen = lowerOpen
        self.upperOpen = upperOpen
    }

    /// `(0, 100]`: a percentage that may not be 0.
    public static let percent = ConfigBounds(0, 100, lowerOpen: true)
    /// `[0, 1]`: a fraction.
    public static let fraction = ConfigBounds(0, 1)

    public func contains(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        let aboveLower = lowerOpen ? value > lower : value >= lower
        let belowUpper = upperOpen ? value < upper : value <= upper
        return aboveLower && belowUpper
    }

    public var description: String {
        (lowerOpen ? "(" : "[") + JSONValue.format(lower) + ", " + JSONValue.format(upper) + (upperOpen ? ")" : "]")
    }
}
