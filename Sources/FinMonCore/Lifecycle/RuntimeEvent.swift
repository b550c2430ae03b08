/// Something the library wants the host to log: a warning of its own, or an alert event.
///
/// The library never calls into Python; the shim's daemon thread waits for these and hands
/// them to `logging`, so they land in whatever handlers the loop configured.
public struct RuntimeEvent: Sendable, Equatable {
    public enum Level: String, Sendable { case debug, info, warning, error }

    public let level: Level
    /// The Python logger name: `finmon` for the library's own messages, `finmon.alerts` for alerts.
    public let logger: String
    public let message: String
    /// A JSON object with the event's fields, or nil.
    public let json: String?

    public init(level: Level, logger: String = "finmon", message: String, json: String? = nil) {
        self.level = level
        self.logger = logger
        self.message = message
        self.json = json
    }

    /// One JSON object: {"level":..., "logger":..., "message":..., "data": {...}|null}.
    public func jsonLine() -> String {
        var out = "{\"level\":"
        JSONText.appendString(level.rawValue, to: &out)
        out += ",\"logger\":"
        JSONText.appendString(logger, to: &out)
        out += ",\"message\":"
        JSONText.appendString(message, to: &out)
        out += ",\"data\":"
        out += json ?? "null"
        out += "}"
        return out
    }
}
