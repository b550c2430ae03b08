import Testing
@testable import FinMonCore

private struct LoopFixture {
    let registry = MetricsRegistry()
    let monitor: LoopMonitor

    init(successWindow: Int = LoopState.defaultSuccessWindow) throws {
        monitor = try LoopMonitor(catalog: MetricsCatalog(registry: registry))
        try monitor.configure(successWindow: successWindow)
    }

    func value(_ name: String) -> Double? { registry.sampleValue(name: name) }

    /// Every loop sample, so "nothing changed" compares all of them at once.
    func loopSamples() -> [String: Double?] {
        let names = [
            "execution_time_seconds_count", "execution_time_seconds_sum", "strategy_success_total",
            "strategy_failure_total", "strategy_success_rate", "strategy_sharpe_ratio",
            "strategy_max_drawdown", "loop_iteration",
        ]
        return Dictionary(uniqueKeysWithValues: names.map { ($0, value($0)) })
    }
}

@Test func loopMonitorStartsWithTheDefaultWindowAndNoRate() throws {
    let monitor = try LoopMonitor(catalog: MetricsCatalog(registry: MetricsRegistry()))
    #expect(monitor.successWindow == 10)
    #expect(monitor.successRate == nil)
    #expect(monitor.snapshot().lastIteration == nil)
}

@Test func loopMonitorUpdatesEveryLoopMetricOnARecord() throws {
    let fixture = try LoopFixture()
    try fixture.monitor.recordIteration(iteration: 3, success: true, executionSeconds: 0.2, sharpe: 1.3, maxDrawdown: -0.12)
    #expect(fixture.value("execution_time_seconds_count") == 1)
    #expect(fixture.value("execution_time_seconds_sum") == 0.2)
    #expect(fixture.registry.sampleValue(name: "execution_time_seconds_bucket", labels: ["le": "0.25"]) == 1)
    #expect(fixture.registry.sampleValue(name: "execution_time_seconds_bucket", labels: ["le": "0.1"]) == 0)
    #expect(fixture.value("strategy_success_total") == 1)
    #expect(fixture.value("strategy_failure_total") == 0)
    #expect(fixture.value("strategy_success_rate") == 1)
    #expect(fixture.value("strategy_sharpe_ratio") == 1.3)
    #expect(fixture.value("strategy_max_drawdown") == -0.12)
    #expect(fixture.value("loop_iteration") == 3)
}

@Test func loopMonitorKeepsTheLastSharpeWhenAFailureReportsNone() throws {
    let fixture = try LoopFixture()
    try fixture.monitor.recordIteration(iteration: 1, success: true, executionSeconds: 1, sharpe: 0.9, maxDrawdown: -0.3)
    try fixture.monitor.recordIteration(iteration: 2, success: false, executionSeconds: 1)
    #expect(fixture.value("strategy_sharpe_ratio") == 0.9)
    #expect(fixture.value("strategy_max_drawdown") == -0.3)
    #expect(fixture.value("strategy_failure_total") == 1)
    #expect(fixture.value("strategy_success_rate") == 0.5)
    #expect(fixture.value("loop_iteration") == 2)
}

@Test func loopMonitorRateIsNilUntilTheWindowFillsButTheGaugeShowsTheRateSoFar() throws {
    let fixture = try LoopFixture(successWindow: 4)
    let outcomes = [true, false, true, true, false, false]
    for (iteration, success) in outcomes.enumerated() {
        try fixture.monitor.recordIteration(iteration: iteration, success: success, executionSeconds: 0.01)
        let seen = outcomes[...iteration].suffix(4)
        let handCount = Double(seen.filter { $0 }.count) / Double(seen.count)
        #expect(fixture.value("strategy_success_rate") == handCount)
        #expect(fixture.monitor.successRate == (iteration >= 3 ? handCount : nil))
    }
    let snapshot = fixture.monitor.snapshot()
    #expect(snapshot.successes == 3)
    #expect(snapshot.failures == 3)
    #expect(snapshot.successRate == 0.5)
    #expect(snapshot.lastIteration == 5)
}

@Test(arguments: [
    (iteration: -1, seconds: 1.0, sharpe: Double?.some(1)),
    (iteration: 1, seconds: 1.0, sharpe: Double?.some(1)),
    (iteration: 9, seconds: -0.5, sharpe: Double?.some(1)),
    (iteration: 9, seconds: .nan, sharpe: Double?.some(1)),
    (iteration: 9, seconds: 1.0, sharpe: Double?.some(.nan)),
    (iteration: 9, seconds: 1.0, sharpe: Double?.some(.infinity)),
])
func loopMonitorRefusesBadInputWithoutChangingAnyMetric(iteration: Int, seconds: Double, sharpe: Double?) throws {
    let fixture = try LoopFixture(successWindow: 2)
    try fixture.monitor.recordIteration(iteration: 5, success: true, executionSeconds: 0.5, sharpe: 2, maxDrawdown: -0.1)
    let metricsBefore = fixture.loopSamples()
    let snapshotBefore = fixture.monitor.snapshot()
    #expect(throws: LoopInputError.self) {
        try fixture.monitor.recordIteration(iteration: iteration, success: false, executionSeconds: seconds, sharpe: sharpe)
    }
    #expect(fixture.loopSamples() == metricsBefore)
    #expect(fixture.monitor.snapshot() == snapshotBefore)
}

@Test func loopMonitorConfigureValidatesAndRestartsOnlyOnANewWindow() throws {
    let fixture = try LoopFixture(successWindow: 3)
    try fixture.monitor.recordIteration(iteration: 1, success: true, executionSeconds: 0)
    #expect(throws: LoopInputError.invalidSuccessWindow(0)) { try fixture.monitor.configure(successWindow: 0) }
    #expect(fixture.monitor.successWindow == 3)

    try fixture.monitor.configure(successWindow: 3)
    #expect(fixture.monitor.snapshot().lastIteration == 1)

    try fixture.monitor.configure(successWindow: 5)
    #expect(fixture.monitor.successWindow == 5)
    #expect(fixture.monitor.snapshot().lastIteration == nil)
    // The registry keeps its totals across a reconfiguration.
    #expect(fixture.value("strategy_success_total") == 1)
}

@Test func loopMonitorExportsTheWindowFillAndTheLastIterationTime() throws {
    let before = AlertTime.now()
    let fixture = try LoopFixture(successWindow: 3)
    // From the start: no outcome in the window, the time the monitor began.
    #expect(fixture.value("strategy_success_window_iterations") == 0)
    let started = try #require(fixture.value("loop_last_iteration_timestamp_seconds"))
    #expect(started >= before.epochSeconds.rounded(.down) && started <= AlertTime.now().epochSeconds)
    #expect(fixture.monitor.snapshot().lastIterationMonotonicSeconds >= before.monotonicSeconds)
    for iteration in 1...4 {
        try fixture.monitor.recordIteration(iteration: iteration, success: false, executionSeconds: 0.1)
        #expect(fixture.value("strategy_success_window_iterations") == Double(min(iteration, 3)))
    }
    let recorded = try #require(fixture.value("loop_last_iteration_timestamp_seconds"))
    #expect(recorded >= started)
    // A restart empties the window (the rule waits for a full one again).
    fixture.monitor.restart()
    #expect(fixture.value("strategy_success_window_iterations") == 0)
}
