/// One receiver's retry schedule: after `n` consecutive failures the next attempt waits
/// `min(base * 2^(n-1), cap)` seconds. Times are monotonic seconds.
struct DeliveryBackoff: Sendable, Equatable {
    let baseSeconds: Double
    let capSeconds: Double
    private(set) var consecutiveFailures = 0
    private(set) var retryAtSeconds = 0.0

    init(policy: AlertDeliveryPolicy) {
        baseSeconds = policy.backoffBaseSeconds
        capSeconds = policy.backoffCapSeconds
    }

    /// True from the first failure until the next success: the receiver is "down".
    var isDown: Bool { consecutiveFailures > 0 }

    func allowsAttempt(at now: Double) -> Bool {
        now >= retryAtSeconds
    }

    /// The wait after the `failures`-th consecutive failure; doubling stops at the cap,
    /// so no count of failures overflows.
    func delay(afterFailures failures: Int) -> Double {
        var delay = baseSeconds
        var step = 1
        while step < failures && delay < capSeconds {
            delay *= 2
            step += 1
        }
        return min(delay, capSeconds)
    }

    /// Returns true for the first failure of an outage (the one worth a log line).
    @discardableResult
    mutating func recordFailure(at now: Double) -> Bool {
        consecutiveFailures = consecutiveFailures == Int.max ? Int.max : consecutiveFailures + 1
        retryAtSeconds = now + delay(afterFailures: consecutiveFailures)
        return consecutiveFailures == 1
    }

    /// Returns true when this success ends an outage.
    @discardableResult
    mutating func recordSuccess() -> Bool {
        defer {
            consecutiveFailures = 0
            retryAtSeconds = 0
        }
        return consecutiveFailures > 0
    }
}
