/// Something that happened to an alert at one evaluation: it started firing or it resolved.
public struct AlertEvent: Sendable, Equatable {
    public enum Status: String, Sendable, Hashable {
        case firing
        case resolved
    }

    public let alertType: AlertType
    public let severity: Severity
    public let status: Status
    public let message: String
    public let currentValue: Double
    public let thresholdValue: Double
    /// Wall-clock time of the event, seconds since the Unix epoch.
    public let epochSeconds: Double
    /// When the alert started firing; equals `epochSeconds` on a firing event.
    public let startsAtEpochSeconds: Double
    public let iterationContext: Int?

    public init(
        alertType: AlertType, severity: Severity, status: Status, message: String,
        currentValue: Double, thresholdValue: Double, epochSeconds: Double,
        startsAtEpochSeconds: Double, iterationContext: Int?
    ) {
        self.alertType = alertType
        self.severity = severity
        self.status = status
        self.message = message
        self.currentValue = currentValue
        self.thresholdValue = thresholdValue
        self.epochSeconds = epochSeconds
        self.startsAtEpochSeconds = startsAtEpochSeconds
        self.iterationContext = iterationContext
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-29T13:45:12.123Z`.
    public var timestamp: String { RFC3339Timestamp.format(epochSeconds: epochSeconds) }
    public var startsAt: String { RFC3339Timestamp.format(epochSeconds: startsAtEpochSeconds) }

    /// One JSON object on one line (no trailing newline), keys in a fixed order;
    /// non-finite values are `null` so the line always parses.
    public func jsonLine() -> String {
        JSONValue.orderedObject([
            ("alert_type", .string(alertType.rawValue)),
            ("severity", .string(severity.rawValue)),
            ("status", .string(status.rawValue)),
            ("message", .string(message)),
            ("current_value", .number(currentValue)),
            ("threshold_value", .number(thresholdValue)),
            ("timestamp", .string(timestamp)),
            ("iteration_context", .optional(iterationContext)),
            ("starts_at", .string(startsAt)),
        ]).rendered
    }

    /// A JSON array of `jsonLine()` objects, on one line: `[]` for none.
    public static func jsonArray(_ events: [AlertEvent]) -> String {
        "[" + events.map { $0.jsonLine() }.joined(separator: ",") + "]"
    }
}
