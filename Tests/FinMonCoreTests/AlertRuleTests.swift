import Testing
@testable import FinMonCore

@Suite struct AlertRuleTests {
    @Test func rulesFromDefaultsCoverEveryTypeInOrder() {
        let rules = AlertRule.rules(from: .defaults)
        #expect(rules.map(\.type) == AlertType.allCases)
        #expect(rules.map(\.threshold) == [80, 90, 0.1, 20, 20, 3, 3600, 600])
        #expect(rules.first { $0.type == .diversityCollapse }?.window == 5)
        #expect(rules.first { $0.type == .lowSuccessRate }?.window == 10)
        #expect(rules.map(\.forSeconds) == [120, 300, 0, 0, 0, 0, 600, 0])
        #expect(rules.map(\.hysteresis) == [5, 10, 0, 0, 0, 0, 0, 0])
        #expect(rules.map(\.clearThreshold).prefix(2) == [75, 80])
    }

    @Test func readingsFollowTheDocumentedConditions() {
        let stale = AlertRule(type: .championStaleness, severity: .warning, threshold: 20)
        #expect(stale.evaluate(AlertSnapshot(iterationsSinceChampionUpdate: 20)) == .init(breached: true, value: 20, threshold: 20))
        #expect(stale.evaluate(AlertSnapshot(iterationsSinceChampionUpdate: 19))?.breached == false)
        let rate = AlertRule(type: .lowSuccessRate, severity: .critical, threshold: 20)
        #expect(rate.evaluate(AlertSnapshot(successRate: 0.2))?.breached == false)
        #expect(rate.evaluate(AlertSnapshot(successRate: 0.19)) == .init(breached: true, value: 19, threshold: 20))
        let diversity = AlertRule(type: .diversityCollapse, severity: .warning, threshold: 0.1, window: 3)
        #expect(diversity.evaluate(AlertSnapshot(recentDiversity: [0.01, 0.01])) == nil)
        #expect(diversity.evaluate(AlertSnapshot(recentDiversity: [0.01, .nan, 0.01])) == nil)
        #expect(diversity.evaluate(AlertSnapshot(recentDiversity: [0.9, 0.01, 0.02, 0.03])) == .init(breached: true, value: 0.03, threshold: 0.1))
    }

    @Test func resourceAlertsClearOnlyBelowTheHysteresisBand() throws {
        let cpu = AlertRule(type: .highCPU, severity: .warning, threshold: 90, hysteresis: 10)
        let above = try #require(cpu.evaluate(AlertSnapshot(cpuPercent: 95)))
        #expect(above.breached && !above.cleared)
        let band = try #require(cpu.evaluate(AlertSnapshot(cpuPercent: 85)))
        #expect(!band.breached && !band.cleared)
        let edge = try #require(cpu.evaluate(AlertSnapshot(cpuPercent: 80)))
        #expect(!edge.breached && edge.cleared)
        // Hysteresis belongs to the resource alerts only.
        #expect(AlertRule(type: .championStaleness, severity: .warning, threshold: 20, hysteresis: 5).hysteresis == 0)
        #expect(AlertRule(type: .highMemory, severity: .critical, threshold: 80, hysteresis: -3).hysteresis == 0)
    }

    @Test func memoryLeakForecastsTheTrendOverTheHorizon() throws {
        let leak = AlertRule(type: .memoryLeak, severity: .warning, threshold: 3600)
        var snapshot = AlertSnapshot(residentMemoryBytes: 1e9, residentMemoryGrowthBytesPerSecond: 1e6, memoryLimitBytes: 8e9)
        // 1 GB + 1 MB/s x 3600 s = 4.6 GB: below the 8 GB limit.
        #expect(leak.evaluate(snapshot) == .init(breached: false, value: 4.6e9, threshold: 8e9))
        snapshot.residentMemoryGrowthBytesPerSecond = 2e6
        #expect(leak.evaluate(snapshot) == .init(breached: true, value: 8.2e9, threshold: 8e9))
        snapshot.residentMemoryGrowthBytesPerSecond = -5e6
        #expect(leak.evaluate(snapshot)?.breached == false)
        snapshot.residentMemoryGrowthBytesPerSecond = nil
        #expect(leak.evaluate(snapshot) == nil)
        snapshot.residentMemoryGrowthBytesPerSecond = .greatestFiniteMagnitude
        #expect(leak.evaluate(snapshot) == nil)  // an infinite forecast is no reading
    }

    @Test func loopStuckCountsSecondsWithoutAnIteration() {
        let stuck = AlertRule(type: .loopStuck, severity: .critical, threshold: 600)
        #expect(stuck.evaluate(AlertSnapshot(secondsSinceLastIteration: 600))?.breached == false)
        #expect(stuck.evaluate(AlertSnapshot(secondsSinceLastIteration: 601)) == .init(breached: true, value: 601, threshold: 600))
        #expect(stuck.evaluate(AlertSnapshot()) == nil)
        var config = MonitoringConfig.defaults
        try? config.set("monitoring.alerts.loop_stuck.expected_iteration_time", .number(2.5))
        try? config.set("monitoring.alerts.loop_stuck.multiple", .number(4))
        #expect(AlertRule.rules(from: config).first { $0.type == .loopStuck }?.threshold == 10)
    }

    @Test func messagesNameValueAndThreshold() {
        let cpu = AlertRule(type: .highCPU, severity: .warning, threshold: 90, hysteresis: 10)
        #expect(cpu.message(value: 95, status: .firing) == "CPU usage 95.0% is above 90%")
        #expect(cpu.message(value: 79.5, status: .resolved) == "CPU usage 79.5% is back at or below 80%")
        let leak = AlertRule(type: .memoryLeak, severity: .warning, threshold: 3600)
        #expect(leak.message(value: 8.2e9, threshold: 8e9, status: .firing)
            == "Resident memory trend reaches the memory limit 8.0 GB within 1 h (forecast 8.2 GB)")
        #expect(leak.message(value: 4e9, threshold: 8e9, status: .resolved)
            == "Resident memory trend stays below the memory limit 8.0 GB for 1 h (forecast 4.0 GB)")
        let stuck = AlertRule(type: .loopStuck, severity: .critical, threshold: 600)
        #expect(stuck.message(value: 601, status: .firing) == "No iteration recorded for 10 min (threshold 10 min)")
        #expect(stuck.message(value: 3, status: .resolved) == "Iterations resumed; the last one 3 s ago (threshold 10 min)")
    }

    @Test func invalidConstructionIsClampedNotTrapped() {
        let rule = AlertRule(type: .highCPU, severity: .warning, threshold: 90, window: -4, forSeconds: .nan, hysteresis: .infinity)
        #expect(rule.window == 1 && rule.forSeconds == 0 && rule.hysteresis == 0)
    }

    @Test func percentFormatting() {
        #expect(AlertRule.percent(85.24) == "85.2")
        #expect(AlertRule.percent(85.25) == "85.3")
        #expect(AlertRule.percent(0) == "0.0")
        #expect(AlertRule.percent(-0.04) == "0.0")
        #expect(AlertRule.percent(-1.26) == "-1.3")
        #expect(AlertRule.percent(100) == "100.0")
    }

    @Test func spansReadAsAPersonSaysThem() {
        #expect(AlertRule.span(45) == "45 s")
        #expect(AlertRule.span(119.94) == "119.9 s")
        #expect(AlertRule.span(600) == "10 min")
        #expect(AlertRule.span(3600) == "1 h")
        #expect(AlertRule.span(5400) == "1.5 h")
        #expect(AlertRule.span(.infinity) == "inf s")
    }
}
