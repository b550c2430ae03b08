import Testing
@testable import FinMonCore

@Suite struct DeliveryBackoffTests {
    private let policy = AlertDeliveryPolicy(backoffBaseSeconds: 1, backoffCapSeconds: 10)

    @Test func delaysDoubleUpToTheCap() {
        let backoff = DeliveryBackoff(policy: policy)
        #expect((1...6).map { backoff.delay(afterFailures: $0) } == [1, 2, 4, 8, 10, 10])
        #expect(backoff.delay(afterFailures: Int.max) == 10)
        #expect(backoff.delay(afterFailures: 0) == 1)
    }

    @Test func failuresPostponeAttemptsAndASuccessEndsTheWait() {
        var backoff = DeliveryBackoff(policy: policy)
        #expect(backoff.consecutiveFailures == 0 && backoff.allowsAttempt(at: 0))
        backoff.recordFailure(at: 100)
        #expect(backoff.consecutiveFailures == 1 && backoff.retryAtSeconds == 101)
        #expect(!backoff.allowsAttempt(at: 100.5) && backoff.allowsAttempt(at: 101))
        backoff.recordFailure(at: 101)
        #expect(backoff.retryAtSeconds == 103 && backoff.consecutiveFailures == 2)
        backoff.recordSuccess()
        #expect(backoff.consecutiveFailures == 0 && backoff.allowsAttempt(at: 0))
    }
}
