import Testing
@testable import FinMonCore

@Suite struct AlertRuleTests {
    @Test func rulesFromDefaultsCoverEveryTypeInOrder() {
        let rules = AlertRule.rules(from: .defaults)
        #expect(rules.map(\.type) == AlertType.allCases)
        #expect(rules.map(\.threshold) == [80, 90, 0.1, 20, 20, 3])
        #expect(rules.first { $0.type == .diversityCollapse }?.window == 5)
        #expect(rules.allSatisfy { $0.forSeconds == 0 })
    }

    @Test func readingsFollowTheDocumentedConditions() {
        let stale = AlertRule(type: .championStaleness, severity: .warning, threshold: 20)
        #expect(stale.evaluate(AlertSnapshot(iterationsSinceChampionUpdate: 20)) == .init(breached: true, value: 20))
        #expect(stale.evaluate(AlertSnapshot(iterationsSinceChampionUpdate: 19))?.breached == false)
        let rate = AlertRule(type: .lowSuccessRate, severity: .critical, threshold: 20)
        #expect(rate.evaluate(AlertSnapshot(successRate: 0.2))?.breached == false)
        #expect(rate.evaluate(AlertSnapshot(successRate: 0.19)) == .init(breached: true, value: 19))
        let diversity = AlertRule(type: .diversityCollapse, severity: .warning, threshold: 0.1, window: 3)
        #expect(diversity.evaluate(AlertSnapshot(recentDiversity: [0.01, 0.01])) == nil)
        #expect(diversity.evaluate(AlertSnapshot(recentDiversity: [0.01, .nan, 0.01])) == nil)
        #expect(diversity.evaluate(AlertSnapshot(recentDiversity: [0.9, 0.01, 0.02, 0.03])) == .init(breached: true, value: 0.03))
    }

    @Test func invalidConstructionIsClampedNotTrapped() {
        let rule = AlertRule(type: .highCPU, severity: .warning, threshold: 90, window: -4, forSeconds: .nan)
        #expect(rule.window == 1 && rule.forSeconds == 0)
    }

    @Test func percentFormatting() {
        #expect(AlertRule.percent(85.24) == "85.2")
        #expect(AlertRule.percent(85.25) == "85.3")
        #expect(AlertRule.percent(0) == "0.0")
        #expect(AlertRule.percent(-0.04) == "0.0")
        #expect(AlertRule.percent(-1.26) == "-1.3")
        #expect(AlertRule.percent(100) == "100.0")
    }
}
