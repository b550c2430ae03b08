/// Where alert delivery stands, for tests and diagnostics.
public struct AlertDeliveryStatus: Sendable, Equatable {
    /// nil when no Alertmanager is configured.
    public let alertmanagerURL: String?
    /// Alerts finmon keeps for Alertmanager: the firing ones (re-posted every resend
    /// interval) and resolves not yet delivered.
    public let alertmanagerPending: Int
    /// True when Alertmanager has accepted the latest state (no change waits to be posted).
    public let alertmanagerInSync: Bool
    /// True from a failed post until the next successful one.
    public let alertmanagerDown: Bool
    public let webhookURL: String?
    /// Events waiting for the webhook, including one in flight.
    public let webhookPending: Int
    public let webhookDown: Bool
    /// Webhook events dropped because the queue was full, since the last configure.
    public let webhookDropped: Int

    /// One JSON object with the snake_case names of these fields.
    public func jsonString() -> String {
        JSONValue.orderedObject([
            ("alertmanager_url", .optional(alertmanagerURL)),
            ("alertmanager_pending", .int(alertmanagerPending)),
            ("alertmanager_in_sync", .bool(alertmanagerInSync)),
            ("alertmanager_down", .bool(alertmanagerDown)),
            ("webhook_url", .optional(webhookURL)),
            ("webhook_pending", .int(webhookPending)),
            ("webhook_down", .bool(webhookDown)),
            ("webhook_dropped", .int(webhookDropped)),
        ]).rendered
    }
}
