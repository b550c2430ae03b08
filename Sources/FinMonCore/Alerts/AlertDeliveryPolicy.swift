/// How finmon delivers alerts to its receivers: request deadline, retry backoff and how
/// many webhook events wait while the webhook is down. The defaults suit production;
/// tests shorten them.
public struct AlertDeliveryPolicy: Sendable, Equatable {
    /// Connect plus full response, per request.
    public var requestTimeoutSeconds: Double
    /// The first retry waits this long; each further failure doubles it, up to the cap.
    public var backoffBaseSeconds: Double
    public var backoffCapSeconds: Double
    /// Webhook events kept while the webhook is unreachable; past it the oldest are
    /// dropped and counted (`alert_notifications_total{result="dropped"}`). Alertmanager
    /// needs no such queue: it is sent the current state, at most one alert per type.
    public var webhookQueueCapacity: Int
    /// How long a clean stop waits for Alertmanager to accept the resolves of the alerts
    /// still firing; a stop never waits longer, whatever the receiver does.
    public var stopTimeoutSeconds: Double

    public init(
        requestTimeoutSeconds: Double = 5, backoffBaseSeconds: Double = 1, backoffCapSeconds: Double = 60,
        webhookQueueCapacity: Int = 1000, stopTimeoutSeconds: Double = 2
    ) {
        self.requestTimeoutSeconds = Self.positive(requestTimeoutSeconds, fallback: 5)
        self.backoffBaseSeconds = Self.positive(backoffBaseSeconds, fallback: 1)
        self.backoffCapSeconds = max(Self.positive(backoffCapSeconds, fallback: 60), self.backoffBaseSeconds)
        self.webhookQueueCapacity = max(webhookQueueCapacity, 2)
        self.stopTimeoutSeconds = Self.positive(stopTimeoutSeconds, fallback: 2)
    }

    public static let `default` = AlertDeliveryPolicy()

    private static func positive(_ value: Double, fallback: Double) -> Double {
        value.isFinite && value > 0 ? min(value, 86_400) : fallback
    }
}
