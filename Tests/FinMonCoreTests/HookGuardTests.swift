import Testing
@testable import FinMonCore

/// The hooks' policy: what a hook cannot use is skipped, counted and warned about; the rest
/// is recorded; a backwards iteration is a restart; strict refuses.
@Suite struct HookGuardTests {
    private func rejected(_ collector: MetricsCollector, _ hook: String, _ reason: String) -> Double? {
        collector.registry.sampleValue(name: "finmon_rejected_values_total", labels: ["hook": hook, "reason": reason])
    }

    private func gauge(_ collector: MetricsCollector, _ name: String) -> Double? {
        collector.registry.sampleValue(name: name)
    }

    @Test func aNaNSharpeIsSkippedTheOutcomeRecordedAndCounted() throws {
        let collector = try MetricsCollector()
        try collector.recordIteration(iteration: 1, success: true, executionSeconds: 0.1, sharpe: 1.5, maxDrawdown: nil)
        try collector.recordIteration(iteration: 2, success: false, executionSeconds: .nan, sharpe: .nan, maxDrawdown: -.infinity)
        #expect(gauge(collector, "strategy_failure_total") == 1 && gauge(collector, "loop_iteration") == 2)
        #expect(gauge(collector, "strategy_sharpe_ratio") == 1.5)  // the last usable one
        #expect(rejected(collector, "record_iteration", "non_finite_sharpe") == 1)
        #expect(rejected(collector, "record_iteration", "non_finite_max_drawdown") == 1)
        #expect(rejected(collector, "record_iteration", "invalid_execution_time") == 1)
        #expect(gauge(collector, "execution_time_seconds_count") == 1)
    }

    @Test func oneWarningPerHookAndReasonThenOneAMinuteWithTheCountSince() throws {
        let collector = try MetricsCollector()
        let rejection = HookRejection(reason: "non_finite_sharpe", message: "sharpe ratio must be finite, got nan")
        collector.hooks.skipped([rejection], by: "record_iteration", now: 100)
        collector.hooks.skipped([rejection], by: "record_iteration", now: 101)
        collector.hooks.skipped([rejection], by: "record_iteration", now: 130)
        collector.hooks.skipped([rejection], by: "record_diversity", now: 130)
        collector.hooks.skipped([rejection], by: "record_iteration", now: 161)
        var warnings: [String] = []
        while let event = collector.events.next(timeout: 0) { warnings.append(event.message) }
        #expect(warnings.count == 3)
        #expect(warnings[0].hasPrefix("finmon record_iteration: sharpe ratio must be finite, got nan; counted in "
            + "finmon_rejected_values_total{hook=\"record_iteration\",reason=\"non_finite_sharpe\"}; "))
        #expect(warnings[1].hasPrefix("finmon record_diversity:"))
        #expect(warnings[2].contains("(2 more since the last warning)"))
        #expect(rejected(collector, "record_iteration", "non_finite_sharpe") == 4)
    }

    @Test func aBackwardsIterationIsALoopRestart() throws {
        let collector = try MetricsCollector()
        try collector.loop.configure(successWindow: 3)
        try collector.recordChampionUpdate(iteration: 5, oldSharpe: nil, newSharpe: 1.2)
        for iteration in 1...40 {
            try collector.recordIteration(iteration: iteration, success: false, executionSeconds: 0.1, sharpe: nil, maxDrawdown: nil)
        }
        #expect(collector.loop.snapshot().successRate == 0 && collector.diversity.staleness == 35)
        try collector.recordIteration(iteration: 2, success: true, executionSeconds: 0.1, sharpe: nil, maxDrawdown: nil)
        // The window holds the new run only, and waits to be full again before the alert reads it.
        #expect(collector.loop.snapshot().successRateSoFar == 1 && collector.loop.snapshot().successRate == nil)
        #expect(collector.diversity.staleness == 0 && gauge(collector, "champion_staleness_iterations") == 0)
        #expect(gauge(collector, "loop_iteration") == 2 && gauge(collector, "champion_sharpe_ratio") == 1.2)
        #expect(rejected(collector, "record_iteration", "iteration_backwards") == 1)
        // The other streams follow the restart without another one.
        try collector.recordDiversity(iteration: 3, diversity: 0.5, uniqueCount: 4, totalCount: 8)
        try collector.recordChampionUpdate(iteration: 3, oldSharpe: 1.2, newSharpe: 1.3)
        #expect(rejected(collector, "record_diversity", "iteration_backwards") == nil)
        #expect(rejected(collector, "record_champion_update", "iteration_backwards") == nil)
        try collector.recordIteration(iteration: 4, success: true, executionSeconds: 0.1, sharpe: nil, maxDrawdown: nil)
        #expect(collector.diversity.staleness == 1)
    }

    @Test func aDiversityRestartRestartsTheLoopWindowToo() throws {
        let collector = try MetricsCollector()
        try collector.loop.configure(successWindow: 2)
        try collector.recordDiversity(iteration: 10, diversity: 0.5, uniqueCount: 4, totalCount: 8)
        try collector.recordIteration(iteration: 10, success: false, executionSeconds: 0.1, sharpe: nil, maxDrawdown: nil)
        try collector.recordIteration(iteration: 11, success: false, executionSeconds: 0.1, sharpe: nil, maxDrawdown: nil)
        try collector.recordDiversity(iteration: 0, diversity: 0.4, uniqueCount: 4, totalCount: 8)
        #expect(rejected(collector, "record_diversity", "iteration_backwards") == 1)
        #expect(collector.loop.snapshot().successRateSoFar == nil)
        try collector.recordIteration(iteration: 1, success: true, executionSeconds: 0.1, sharpe: nil, maxDrawdown: nil)
        #expect(rejected(collector, "record_iteration", "iteration_backwards") == nil)
    }

    @Test func badDiversityValuesKeepWhatCanBeKept() throws {
        let collector = try MetricsCollector()
        try collector.recordDiversity(iteration: 1, diversity: .nan, uniqueCount: 3, totalCount: 10)
        #expect(gauge(collector, "population_size") == 10 && gauge(collector, "unique_strategy_count") == 3)
        #expect(collector.diversity.snapshot().recordedCount == 0)  // no sample without a diversity
        try collector.recordDiversity(iteration: 2, diversity: 0.3, uniqueCount: 12, totalCount: 10)
        #expect(gauge(collector, "population_diversity") == 0.3 && gauge(collector, "unique_strategy_count") == 3)
        try collector.recordDiversity(iteration: 3, diversity: 0.2, uniqueCount: -1, totalCount: -1)
        #expect(gauge(collector, "population_size") == 10 && collector.diversity.snapshot().latestTotalCount == nil)
        let held = collector.diversity.snapshot().recordedCount
        try collector.recordDiversity(iteration: -1, diversity: 0.9, uniqueCount: 1, totalCount: 1)
        // Without an iteration the gauges take the values, the history no sample.
        #expect(gauge(collector, "population_diversity") == 0.9 && collector.diversity.snapshot().recordedCount == held)
        #expect(rejected(collector, "record_diversity", "diversity_out_of_range") == 1)
        #expect(rejected(collector, "record_diversity", "unique_above_total") == 1)
        #expect(rejected(collector, "record_diversity", "negative_count") == 1)
        #expect(rejected(collector, "record_diversity", "negative_iteration") == 1)
    }

    @Test func minusInfinityAsNoPreviousChampionIsReadAsNone() throws {
        let collector = try MetricsCollector()
        try collector.recordChampionUpdate(iteration: 3, oldSharpe: -.infinity, newSharpe: 0.9)
        try collector.recordChampionUpdate(iteration: 4, oldSharpe: 0.9, newSharpe: .nan)
        #expect(gauge(collector, "champion_updates_total") == 2 && gauge(collector, "champion_sharpe_ratio") == 0.9)
        #expect(rejected(collector, "record_champion_update", "non_finite_sharpe") == 2)
        #expect(collector.diversity.snapshot().lastChampionUpdateIteration == 4)
    }

    @Test func strictRefusesAndChangesNothing() throws {
        let collector = try MetricsCollector()
        collector.hooks.isStrict = true
        #expect(throws: LoopInputError.nonFiniteSharpe(.infinity)) {
            try collector.recordIteration(iteration: 1, success: true, executionSeconds: 0.1, sharpe: .infinity, maxDrawdown: nil)
        }
        #expect(throws: DiversityInputError.self) {
            try collector.recordDiversity(iteration: 1, diversity: 2, uniqueCount: 1, totalCount: 1)
        }
        #expect(throws: ContainerMonitorError.self) { try collector.recordContainer(.created, id: "") }
        #expect(gauge(collector, "strategy_success_total") == 0 && gauge(collector, "active_containers") == 0)
        #expect(collector.catalog.rejectedValuesTotal.seriesCount == 0)
        collector.hooks.isStrict = false
        try collector.recordContainer(.created, id: "")
        #expect(rejected(collector, "record_container_created", "invalid_container_id") == 1)
        #expect(try collector.calculateStaleness(currentIteration: -1, lastUpdateIteration: 0) == 0)
        #expect(rejected(collector, "calculate_staleness", "negative_iteration") == 1)
    }
}
