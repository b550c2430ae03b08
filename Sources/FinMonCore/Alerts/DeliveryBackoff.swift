/// One receiver's retry schedule: after `n` consecutive failures the next attempt waits
/// `min(base * 2^(n-1), cap)` seconds. Times are monotonic seconds. Whether the receiver
/// is "down" (worth one warning) is the dispatcher's `WarningLatch`, not kept here.
struct DeliveryBackoff: Sendable, Equatable {
    let baseSeconds: Double
    let capSeconds: Double
    private(set) var consecutiveFailures = 0
    private(set) var retryAtSeconds = 0.0

    init(policy: AlertDeliveryPolicy) {
        baseSeconds = policy.backoffBaseSeconds
        capSeconds = policy.backoffCapSeconds
    }

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

    /// Postpones the next attempt by the delay the failures so far call for.
    mutating func recordFailure(at now: Double) {
        consecutiveFailures = consecutiveFailures == Int.max ? Int.max : consecutiveFailures + 1
        retryAtSeconds = now + delay(afterFailures: consecutiveFailures)
    }

    /// The next attempt may go at once.
    mutating func recordSuccess() {
        consecutiveFailures = 0
        retryAtSeconds = 0
    }
}
