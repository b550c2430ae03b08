import Testing
@testable import FinMonCore

@Suite struct AlertDeliveryPolicyTests {
    @Test func defaultsAndRepairs() {
        let policy = AlertDeliveryPolicy.default
        #expect(policy.requestTimeoutSeconds == 5 && policy.backoffBaseSeconds == 1)
        #expect(policy.backoffCapSeconds == 60 && policy.webhookQueueCapacity == 1000)
        let repaired = AlertDeliveryPolicy(
            requestTimeoutSeconds: .nan, backoffBaseSeconds: -1, backoffCapSeconds: 0.5, webhookQueueCapacity: -3)
        #expect(repaired.requestTimeoutSeconds == 5 && repaired.backoffBaseSeconds == 1)
        #expect(repaired.backoffCapSeconds == 1)  // never below the base
        #expect(repaired.webhookQueueCapacity == 2)
        #expect(AlertDeliveryPolicy(requestTimeoutSeconds: 1e9).requestTimeoutSeconds == 86_400)
    }
}
