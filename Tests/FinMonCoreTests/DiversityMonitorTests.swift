import Testing
@testable import FinMonCore

private struct DiversityFixture {
    let registry = MetricsRegistry()
    let monitor: DiversityMonitor

    init(historySize: Int = DiversityState.defaultHistoryCapacity) throws {
        monitor = try DiversityMonitor(catalog: MetricsCatalog(registry: registry))
        try monitor.configure(historySize: historySize)
    }

    func value(_ name: String) -> Double? { registry.sampleValue(name: name) }

    func diversitySamples() -> [String: Double?] {
        let names = [
            "population_diversity", "unique_strategy_count", "population_size",
            "champion_staleness_iterations", "champion_updates_total", "champion_sharpe_ratio",
        ]
        return Dictionary(uniqueKeysWithValues: names.map { ($0, value($0)) })
    }
}

@Test func diversityMonitorStartsWithTheDefaultHistoryAndNoStaleness() throws {
    let monitor = try DiversityMonitor(catalog: MetricsCatalog(registry: MetricsRegistry()))
    #expect(monitor.historySize == 1000)
    #expect(monitor.staleness == nil)
    #expect(!monitor.checkDiversityCollapse())
}

@Test func diversityMonitorExportsARecordedSample() throws {
    let fixture = try DiversityFixture()
    for (iteration, diversity) in [0.0, 0.5, 1.0].enumerated() {
        try fixture.monitor.recordDiversity(iteration: iteration, diversity: diversity, uniqueCount: iteration, totalCount: 20)
        #expect(fixture.value("population_diversity") == diversity)
        #expect(fixture.value("unique_strategy_count") == Double(iteration))
        #expect(fixture.value("population_size") == 20)
    }
    let snapshot = fixture.monitor.snapshot(recent: 2)
    #expect(snapshot.recentDiversity == [0.5, 1.0])
    #expect(snapshot.latestUniqueCount == 2)
    #expect(snapshot.recordedCount == 3)
}

@Test func diversityMonitorStalenessFollowsRecordsAndObservedIterations() throws {
    let fixture = try DiversityFixture()
    try fixture.monitor.recordDiversity(iteration: 2, diversity: 0.4, uniqueCount: 5, totalCount: 10)
    // No champion yet: measured from the first iteration seen.
    try fixture.monitor.observeIteration(6)
    #expect(fixture.value("champion_staleness_iterations") == 4)

    try fixture.monitor.recordChampionUpdate(iteration: 7, oldSharpe: nil, newSharpe: 1.1)
    #expect(fixture.value("champion_staleness_iterations") == 0)
    #expect(fixture.value("champion_updates_total") == 1)
    #expect(fixture.value("champion_sharpe_ratio") == 1.1)

    for iteration in 8...12 { try fixture.monitor.observeIteration(iteration) }
    #expect(fixture.value("champion_staleness_iterations") == 5)
    // An older iteration (another stream lagging behind) does not move staleness back.
    try fixture.monitor.observeIteration(9)
    #expect(fixture.monitor.staleness == 5)

    try fixture.monitor.recordChampionUpdate(iteration: 12, oldSharpe: 1.1, newSharpe: 1.4)
    let snapshot = fixture.monitor.snapshot()
    #expect(snapshot.iterationsSinceChampionUpdate == 0)
    #expect(snapshot.championUpdateCount == 2)
    #expect(snapshot.championSharpe == 1.4)
    #expect(snapshot.currentIteration == 12)
}

@Test func diversityMonitorCalculateStalenessReturnsAndExportsIt() throws {
    let fixture = try DiversityFixture()
    #expect(try fixture.monitor.calculateStaleness(currentIteration: 30, lastUpdateIteration: 12) == 18)
    #expect(fixture.value("champion_staleness_iterations") == 18)
    #expect(try fixture.monitor.calculateStaleness(currentIteration: 3, lastUpdateIteration: 12) == 0)
    #expect(try fixture.monitor.calculateStaleness(currentIteration: .max, lastUpdateIteration: 0) == .max)
    #expect(throws: DiversityInputError.negativeIteration(-1)) {
        try fixture.monitor.calculateStaleness(currentIteration: -1, lastUpdateIteration: 0)
    }
    #expect(fixture.value("champion_staleness_iterations") == Double(Int.max))
}

@Test func diversityMonitorDetectsCollapseAfterExactlyFiveLowValues() throws {
    let fixture = try DiversityFixture()
    try fixture.monitor.recordDiversity(iteration: 0, diversity: 0.6, uniqueCount: 1, totalCount: 1)
    for iteration in 1...5 {
        #expect(!fixture.monitor.checkDiversityCollapse(window: 5))
        try fixture.monitor.recordDiversity(iteration: iteration, diversity: 0.05, uniqueCount: 1, totalCount: 1)
    }
    #expect(fixture.monitor.checkDiversityCollapse(window: 5))
    try fixture.monitor.recordDiversity(iteration: 6, diversity: 0.2, uniqueCount: 1, totalCount: 1)
    #expect(!fixture.monitor.checkDiversityCollapse(window: 5))
}

@Test(arguments: [
    (iteration: 5, diversity: Double.nan, unique: 1, total: 2),
    (iteration: 5, diversity: 1.5, unique: 1, total: 2),
    (iteration: 5, diversity: -0.1, unique: 1, total: 2),
    (iteration: 5, diversity: 0.5, unique: -1, total: 2),
    (iteration: 5, diversity: 0.5, unique: 3, total: 2),
    (iteration: 3, diversity: 0.5, unique: 1, total: 2),
])
func diversityMonitorRefusesBadSamplesWithoutChangingAnyMetric(iteration: Int, diversity: Double, unique: Int, total: Int) throws {
    let fixture = try DiversityFixture()
    try fixture.monitor.recordDiversity(iteration: 4, diversity: 0.3, uniqueCount: 4, totalCount: 8)
    try fixture.monitor.recordChampionUpdate(iteration: 4, oldSharpe: nil, newSharpe: 1)
    let metricsBefore = fixture.diversitySamples()
    let snapshotBefore = fixture.monitor.snapshot(recent: 10)
    #expect(throws: DiversityInputError.self) {
        try fixture.monitor.recordDiversity(iteration: iteration, diversity: diversity, uniqueCount: unique, totalCount: total)
    }
    #expect(fixture.diversitySamples() == metricsBefore)
    #expect(fixture.monitor.snapshot(recent: 10) == snapshotBefore)
}

@Test func diversityMonitorRefusesABadChampionUpdateWithoutChangingAnyMetric() throws {
    let fixture = try DiversityFixture()
    try fixture.monitor.recordChampionUpdate(iteration: 4, oldSharpe: nil, newSharpe: 1)
    let metricsBefore = fixture.diversitySamples()
    #expect(throws: DiversityInputError.nonFiniteSharpe(.infinity)) {
        try fixture.monitor.recordChampionUpdate(iteration: 5, oldSharpe: 1, newSharpe: .infinity)
    }
    #expect(throws: DiversityInputError.iterationWentBackwards(iteration: 3, lastIteration: 4)) {
        try fixture.monitor.recordChampionUpdate(iteration: 3, oldSharpe: 1, newSharpe: 2)
    }
    #expect(throws: DiversityInputError.negativeIteration(-2)) { try fixture.monitor.observeIteration(-2) }
    #expect(fixture.diversitySamples() == metricsBefore)
}

@Test func diversityMonitorKeepsABoundedHistory() throws {
    let fixture = try DiversityFixture(historySize: 3)
    for iteration in 0..<10 {
        try fixture.monitor.recordDiversity(iteration: iteration, diversity: Double(iteration) / 10, uniqueCount: 0, totalCount: 0)
    }
    let snapshot = fixture.monitor.snapshot(recent: 100)
    #expect(snapshot.recentDiversity == [0.7, 0.8, 0.9])
    #expect(snapshot.recordedCount == 10)
    #expect(throws: DiversityInputError.invalidHistoryCapacity(0)) { try fixture.monitor.configure(historySize: 0) }
    #expect(fixture.monitor.historySize == 3)
}

@Test func diversityMonitorExportsTheCollapseWindowsHighestValue() throws {
    let fixture = try DiversityFixture()
    fixture.monitor.configure(collapseWindow: 3)
    #expect(fixture.value("population_diversity_window_max")?.isNaN == true)  // no full window yet
    for (iteration, diversity) in [0.5, 0.04, 0.06].enumerated() {
        try fixture.monitor.recordDiversity(iteration: iteration, diversity: diversity, uniqueCount: 3, totalCount: 10)
    }
    #expect(fixture.value("population_diversity_window_max") == 0.5)
    try fixture.monitor.recordDiversity(iteration: 3, diversity: 0.02, uniqueCount: 3, totalCount: 10)
    #expect(fixture.value("population_diversity_window_max") == 0.06)  // the last three: 0.04, 0.06, 0.02
    // A wider window than the values recorded: NaN again; a smaller history clamps the window.
    fixture.monitor.configure(collapseWindow: 10)
    #expect(fixture.value("population_diversity_window_max")?.isNaN == true)
    try fixture.monitor.configure(historySize: 2)
    try fixture.monitor.recordDiversity(iteration: 4, diversity: 0.3, uniqueCount: 3, totalCount: 10)
    try fixture.monitor.recordDiversity(iteration: 5, diversity: 0.2, uniqueCount: 3, totalCount: 10)
    #expect(fixture.value("population_diversity_window_max") == 0.3)
}
