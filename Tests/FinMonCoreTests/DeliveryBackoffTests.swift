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

    @Test func failuresPostponeAttemptsAndTheFirstOneIsReported() {
        var backoff = DeliveryBackoff(policy: policy)
        #expect(!backoff.isDown && backoff.allowsAttempt(at: 0))
        let first = backoff.recordFailure(at: 100)
        #expect(first)
        #expect(backoff.isDown && backoff.retryAtSeconds == 101)
        #expect(!backoff.allowsAttempt(at: 100.5) && backoff.allowsAttempt(at: 101))
        let second = backoff.recordFailure(at: 101)
        #expect(!second)
        #expect(backoff.retryAtSeconds == 103 && backoff.consecutiveFailures == 2)
        let recovered = backoff.recordSuccess()
        #expect(recovered)
        #expect(!backoff.isDown && backoff.allowsAttempt(at: 0))
        let again = backoff.recordSuccess()
        #expect(!again)
    }
}
