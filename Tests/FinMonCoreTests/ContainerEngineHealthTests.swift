import Testing

@testable import FinMonCore

@Suite struct ContainerEngineHealthTests {
    @Test func warnsOnceAStreakAndOnceOnRecoveryWhileCountingEveryError() throws {
        let registry = MetricsRegistry()
        let catalog = try MetricsCatalog(registry: registry)
        var health = ContainerEngineHealth(
            collectionErrors: try catalog.collectionErrorsTotal.labels([ContainerEngineHealth.collector]))
        let endpoint = HTTPEndpoint.unix(path: "/run/engine.sock")
        #expect(health.answered(endpoint: endpoint) == nil)
        let first = health.failed(.transport(.io(reason: "refused")), endpoint: endpoint)
        health.countError()
        let second = health.failed(.transport(.io(reason: "refused again")), endpoint: endpoint)
        health.countError()
        #expect(first?.level == .warning && second == nil && health.isFailing)
        #expect(first?.message.contains("/run/engine.sock") == true)
        #expect(health.lastError?.contains("refused again") == true && health.errors == 2)
        #expect(registry.sampleValue(name: "finmon_collection_errors_total", labels: ["collector": "docker"]) == 2)
        let recovered = health.answered(endpoint: endpoint)
        #expect(recovered?.level == .info && !health.isFailing)
        #expect(health.answered(endpoint: endpoint) == nil)
    }
}
