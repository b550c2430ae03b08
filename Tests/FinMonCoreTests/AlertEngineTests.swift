import Testing
@testable import FinMonCore

@Suite struct AlertEngineTests {
    /// An injected clock: monotonic seconds from 0, wall clock from a fixed epoch.
    private struct Clock {
        var seconds = 0.0
        let epoch = 1_800_000_000.0
        var now: AlertTime { AlertTime(monotonicSeconds: seconds, epochSeconds: epoch + seconds) }
        mutating func advance(_ by: Double) -> AlertTime {
            seconds += by
            return now
        }
    }

    private func engine(_ edit: (inout MonitoringConfig) -> Void = { _ in }) -> AlertEngine {
        var config = MonitoringConfig.defaults
        edit(&config)
        return AlertEngine(config: config)
    }

    @Test func memoryFiresOnceDoesNotRetriggerResolvesAndRetriggers() {
        var engine = engine()
        var clock = Clock()
        #expect(engine.evaluate(AlertSnapshot(memoryPercent: 70), now: clock.now).isEmpty)

        let fired = engine.evaluate(AlertSnapshot(memoryPercent: 85.24, iteration: 12), now: clock.advance(5))
        #expect(fired.count == 1)
        #expect(fired.first?.alertType == .highMemory && fired.first?.status == .firing)
        #expect(fired.first?.severity == .critical)
        #expect(fired.first?.message == "Memory usage 85.2% is above 80%")
        #expect(fired.first?.currentValue == 85.24 && fired.first?.thresholdValue == 80)
        #expect(fired.first?.iterationContext == 12)
        #expect(engine.isActive(.highMemory) && engine.triggeredCount(.highMemory) == 1)
        #expect(engine.activeAlerts == fired)

        #expect(engine.evaluate(AlertSnapshot(memoryPercent: 95), now: clock.advance(5)).isEmpty)
        #expect(engine.triggeredCount(.highMemory) == 1)

        let resolved = engine.evaluate(AlertSnapshot(memoryPercent: 60), now: clock.advance(5))
        #expect(resolved.count == 1)
        #expect(resolved.first?.status == .resolved)
        #expect(resolved.first?.message == "Memory usage 60.0% is back at or below 80%")
        #expect(resolved.first?.startsAtEpochSeconds == fired.first?.epochSeconds)
        #expect(resolved.first?.epochSeconds == clock.epoch + 15)
        #expect(!engine.isActive(.highMemory) && engine.activeAlerts.isEmpty)
        #expect(engine.state(.highMemory) == .inactive)

        #expect(engine.evaluate(AlertSnapshot(memoryPercent: 60), now: clock.advance(5)).isEmpty)
        let again = engine.evaluate(AlertSnapshot(memoryPercent: 81), now: clock.advance(5))
        #expect(again.map(\.status) == [.firing])
        #expect(engine.triggeredCount(.highMemory) == 2)
    }

    @Test func thresholdItselfIsNotAbove() {
        var engine = engine()
        #expect(engine.evaluate(AlertSnapshot(memoryPercent: 80, cpuPercent: 90), now: Clock().now).isEmpty)
        let events = engine.evaluate(AlertSnapshot(memoryPercent: 80.01, cpuPercent: 90.01), now: Clock().now)
        #expect(events.map(\.alertType) == [.highMemory, .highCPU])
        #expect(events.map(\.severity) == [.critical, .warning])
    }

    @Test func missingOrNonFiniteSignalKeepsTheState() {
        var engine = engine()
        var clock = Clock()
        _ = engine.evaluate(AlertSnapshot(cpuPercent: 99), now: clock.now)
        #expect(engine.isActive(.highCPU))
        #expect(engine.evaluate(AlertSnapshot(), now: clock.advance(5)).isEmpty)
        #expect(engine.evaluate(AlertSnapshot(cpuPercent: .nan), now: clock.advance(5)).isEmpty)
        #expect(engine.evaluate(AlertSnapshot(cpuPercent: .infinity), now: clock.advance(5)).isEmpty)
        #expect(engine.isActive(.highCPU))
        #expect(engine.evaluate(AlertSnapshot(cpuPercent: 10), now: clock.advance(5)).map(\.status) == [.resolved])
    }

    @Test func forDurationGoesThroughPendingOnTheMonotonicClock() {
        var engine = engine { $0.testSet("monitoring.alerts.for_seconds.high_cpu", 30) }
        var clock = Clock()
        #expect(engine.evaluate(AlertSnapshot(cpuPercent: 95), now: clock.now).isEmpty)
        #expect(engine.state(.highCPU) == .pending(sinceMonotonicSeconds: 0))
        #expect(!engine.isActive(.highCPU))
        #expect(engine.evaluate(AlertSnapshot(cpuPercent: 95), now: clock.advance(29.9)).isEmpty)
        let fired = engine.evaluate(AlertSnapshot(cpuPercent: 96), now: clock.advance(0.1))
        #expect(fired.map(\.status) == [.firing])
        #expect(fired.first?.epochSeconds == clock.epoch + 30)
        #expect(engine.triggeredCount(.highCPU) == 1)
    }

    @Test func pendingThatClearsNeverFires() {
        var engine = engine { $0.testSet("monitoring.alerts.for_seconds.high_cpu", 30) }
        var clock = Clock()
        _ = engine.evaluate(AlertSnapshot(cpuPercent: 95), now: clock.now)
        #expect(engine.evaluate(AlertSnapshot(cpuPercent: 50), now: clock.advance(20)).isEmpty)
        #expect(engine.state(.highCPU) == .inactive)
        // The pending timer restarts: 20 s after the new start is not yet 30 s.
        _ = engine.evaluate(AlertSnapshot(cpuPercent: 95), now: clock.advance(5))
        #expect(engine.evaluate(AlertSnapshot(cpuPercent: 95), now: clock.advance(20)).isEmpty)
        #expect(engine.evaluate(AlertSnapshot(cpuPercent: 95), now: clock.advance(10)).count == 1)
        #expect(engine.triggeredCount(.highCPU) == 1)
    }

    @Test func diversityCollapseNeedsAFullWindowBelowTheThreshold() {
        var engine = engine()
        var clock = Clock()
        #expect(engine.evaluate(AlertSnapshot(recentDiversity: [0.05, 0.04, 0.03, 0.02]), now: clock.now).isEmpty)
        let low = [0.5, 0.09, 0.08, 0.05, 0.04, 0.03]
        let fired = engine.evaluate(AlertSnapshot(recentDiversity: low), now: clock.advance(5))
        #expect(fired.map(\.alertType) == [.diversityCollapse])
        #expect(fired.first?.currentValue == 0.09)
        #expect(fired.first?.message == "Population diversity stayed below 0.1 for the last 5 iterations (highest 0.09)")
        #expect(engine.evaluate(AlertSnapshot(recentDiversity: low + [0.01]), now: clock.advance(5)).isEmpty)
        let recovered = low + [0.35, 0.4, 0.45, 0.5, 0.31]
        let resolved = engine.evaluate(AlertSnapshot(recentDiversity: recovered), now: clock.advance(5))
        #expect(resolved.map(\.status) == [.resolved])
        #expect(resolved.first?.currentValue == 0.5)
        #expect(engine.triggeredCount(.diversityCollapse) == 1)
    }

    @Test func oneValueAtTheThresholdKeepsDiversityFromCollapsing() {
        var engine = engine()
        let events = engine.evaluate(AlertSnapshot(recentDiversity: [0.01, 0.01, 0.1, 0.01, 0.01]), now: Clock().now)
        #expect(events.isEmpty)
    }

    @Test func stalenessSuccessRateAndOrphans() {
        var engine = engine()
        var clock = Clock()
        #expect(engine.evaluate(
            AlertSnapshot(iterationsSinceChampionUpdate: 19, successRate: 0.2, orphanedContainers: 2),
            now: clock.now).isEmpty)
        let fired = engine.evaluate(
            AlertSnapshot(iterationsSinceChampionUpdate: 20, successRate: 0.1, orphanedContainers: 3, iteration: 40),
            now: clock.advance(5))
        #expect(fired.map(\.alertType) == [.championStaleness, .lowSuccessRate, .orphanedContainers])
        #expect(fired.map(\.severity) == [.warning, .critical, .warning])
        #expect(fired.map(\.message) == [
            "Champion not updated for 20 iterations (threshold 20)",
            "Strategy success rate 10.0% is below 20%",
            "3 orphaned containers (threshold 3)",
        ])
        #expect(fired.map(\.currentValue) == [20, 10, 3])
        #expect(fired.allSatisfy { $0.iterationContext == 40 })
        let resolved = engine.evaluate(
            AlertSnapshot(iterationsSinceChampionUpdate: 0, successRate: 0.5, orphanedContainers: 0),
            now: clock.advance(5))
        #expect(resolved.map(\.status) == [.resolved, .resolved, .resolved])
        #expect(engine.activeAlerts.isEmpty)
    }

    @Test func successRateIsIgnoredUntilTheWindowIsFull() {
        var engine = engine()
        #expect(engine.evaluate(AlertSnapshot(successRate: nil), now: Clock().now).isEmpty)
        #expect(engine.state(.lowSuccessRate) == .inactive)
    }

    @Test func disabledAlertsHaveNoRules() {
        var engine = engine { $0.testSet("monitoring.alerts.enabled", false) }
        #expect(engine.rules.isEmpty)
        #expect(engine.evaluate(AlertSnapshot(memoryPercent: 99, cpuPercent: 99), now: Clock().now).isEmpty)
    }

    @Test func configuredSeveritiesAndThresholdsAreUsed() {
        var engine = engine {
            $0.testSet("monitoring.alerts.memory_threshold_percent", 50)
            $0.testSet("monitoring.alerts.severities.high_memory", "warning")
        }
        let events = engine.evaluate(AlertSnapshot(memoryPercent: 55), now: Clock().now)
        #expect(events.first?.severity == .warning && events.first?.thresholdValue == 50)
    }
}
