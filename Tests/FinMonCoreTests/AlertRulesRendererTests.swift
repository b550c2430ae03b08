import Testing
@testable import FinMonCore

@Suite struct AlertRulesRendererTests {
    private static let defaultsRendered = AlertRulesRenderer.render(.defaults)

    @Test func defaultsRenderTheDocumentedExpressions() {
        let text = Self.defaultsRendered
        for line in [
            "groups:\n  - name: finmon\n    interval: 10s\n    rules:\n",
            "      - alert: high_memory\n        expr: 100 * system_memory_usage_bytes / system_memory_total_bytes > 80\n",
            "      - alert: high_cpu\n        expr: system_cpu_usage_percent > 90\n",
            "      - alert: diversity_collapse\n        expr: max_over_time(population_diversity[25s]) < 0.1\n",
            "      - alert: champion_staleness\n        expr: champion_staleness_iterations >= 20\n",
            "      - alert: low_success_rate\n        expr: strategy_success_rate * 100 < 20\n",
            "      - alert: orphaned_containers\n        expr: orphaned_containers >= 3\n",
            "        labels:\n          severity: critical\n          alert_type: high_memory\n",
            "          description: \"Memory usage {{ $value }}% is above 80%\"\n",
        ] {
            #expect(text.contains(line), "missing: \(line)")
        }
        #expect(!text.contains("for:"))
        #expect(text.hasSuffix("(threshold 3)\"\n"))
    }

    @Test func outputIsDeterministic() {
        #expect(AlertRulesRenderer.render(.defaults) == Self.defaultsRendered)
    }

    @Test func configChangesReachTheRules() {
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.alerts.memory_threshold_percent", 75.5)
        config.testSet("monitoring.alerts.diversity_collapse.window", 12)
        config.testSet("monitoring.alerts.diversity_collapse.threshold", 0.05)
        config.testSet("monitoring.prometheus.scrape_interval", 2.5)
        config.testSet("monitoring.alerts.for_seconds.high_cpu", 60)
        config.testSet("monitoring.alerts.for_seconds.orphaned_containers", 0.25)
        config.testSet("monitoring.alerts.severities.high_cpu", "critical")
        config.testSet("monitoring.alerts.evaluation_interval", 1.5)
        let text = AlertRulesRenderer.render(config)
        #expect(text.contains("    interval: 1500ms\n"))
        #expect(text.contains("expr: 100 * system_memory_usage_bytes / system_memory_total_bytes > 75.5\n"))
        #expect(text.contains("expr: max_over_time(population_diversity[30s]) < 0.05\n"))
        #expect(text.contains("expr: system_cpu_usage_percent > 90\n        for: 60s\n        labels:\n          severity: critical\n"))
        #expect(text.contains("expr: orphaned_containers >= 3\n        for: 250ms\n"))
    }

    @Test func disabledAlertsRenderAnEmptyGroup() {
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.alerts.enabled", false)
        #expect(AlertRulesRenderer.render(config).hasSuffix("  - name: finmon\n    interval: 10s\n    rules: []\n"))
    }

    @Test func durations() {
        #expect(AlertRulesRenderer.duration(5) == "5s")
        #expect(AlertRulesRenderer.duration(0.5) == "500ms")
        #expect(AlertRulesRenderer.duration(0.0001) == "1ms")
        #expect(AlertRulesRenderer.duration(0) == "1ms")
        #expect(AlertRulesRenderer.duration(.infinity) == "1ms")
        #expect(AlertRulesRenderer.duration(1e300) == "3153600000s")
    }

    @Test func quotedEscapes() {
        #expect(AlertRulesRenderer.quoted("a \"b\" \\ c") == #""a \"b\" \\ c""#)
    }

    // MARK: promtool

    private func promtool(_ arguments: [String], in dir: ConfigTestSupport.TemporaryDirectory) throws -> (Int32?, String) {
        let outputPath = dir.path + "/promtool.out"
        let status = ConfigTestSupport.run(["promtool"] + arguments, outputPath: outputPath)
        return (status, (try? ConfigTestSupport.read(outputPath)) ?? "")
    }

    /// promtool is installed on this machine (Debian's prometheus package), so its absence is a failure.
    @Test func promtoolAcceptsTheRenderedRules() throws {
        try #require(ConfigTestSupport.onPath("promtool"), "promtool is not on PATH")
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.alerts.for_seconds.high_cpu", 30)
        config.testSet("monitoring.alerts.for_seconds.orphaned_containers", 0.5)
        for (name, rendered) in [("defaults.yml", Self.defaultsRendered), ("custom.yml", AlertRulesRenderer.render(config))] {
            try ConfigTestSupport.write(rendered, to: dir.path + "/" + name)
            let (status, output) = try promtool(["check", "rules", dir.path + "/" + name], in: dir)
            #expect(status == 0, "promtool check rules \(name): \(output)")
            #expect(output.contains("SUCCESS: 6 rules found"), "\(output)")
        }
    }

    /// The rules fire and stay quiet on the same inputs as the in-process engine would,
    /// checked with promtool's rule unit tests.
    @Test func promtoolRuleTestsAgreeWithTheEngineConditions() throws {
        try #require(ConfigTestSupport.onPath("promtool"), "promtool is not on PATH")
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.alerts.for_seconds.high_cpu", 30)
        try ConfigTestSupport.write(AlertRulesRenderer.render(config), to: dir.path + "/rules.yml")
        func alert(_ name: String, _ severity: String, _ summary: String, _ description: String) -> String {
            """
                    - exp_labels: {severity: \(severity), alert_type: \(name)}
                      exp_annotations: {summary: "\(summary)", description: "\(description)"}

            """
        }
        func check(_ time: String, _ name: String, _ expected: String?) -> String {
            "      - eval_time: \(time)\n        alertname: \(name)\n"
                + (expected.map { "        exp_alerts:\n" + $0 } ?? "        exp_alerts: []\n")
        }
        let tests = """
            rule_files:
              - rules.yml
            evaluation_interval: 5s
            tests:
              - interval: 5s
                input_series:
                  - series: system_memory_usage_bytes
                    values: "85x30"
                  - series: system_memory_total_bytes
                    values: "100x30"
                  - series: system_cpu_usage_percent
                    values: "95x30"
                  - series: population_diversity
                    values: "0.5 0.5 0.05x28"
                  - series: champion_staleness_iterations
                    values: "19 20x29"
                  - series: strategy_success_rate
                    values: "0.5 0.125x29"
                  - series: orphaned_containers
                    values: "2x30"
                alert_rule_test:

            """
            + check("1m", "high_memory", alert("high_memory", "critical", "High memory usage", "Memory usage 85% is above 80%"))
            + check("20s", "high_cpu", nil)
            + check("1m", "high_cpu", alert("high_cpu", "warning", "High CPU usage", "CPU usage 95% is above 90%"))
            + check("20s", "diversity_collapse", nil)
            + check("1m", "diversity_collapse", alert(
                "diversity_collapse", "warning", "Population diversity collapsed",
                "Population diversity stayed below 0.1 (highest 0.05) over the last 5 iterations"))
            + check("0s", "champion_staleness", nil)
            + check("1m", "champion_staleness", alert(
                "champion_staleness", "warning", "Champion is stale", "Champion not updated for 20 iterations (threshold 20)"))
            + check("0s", "low_success_rate", nil)
            + check("1m", "low_success_rate", alert(
                "low_success_rate", "critical", "Low strategy success rate", "Strategy success rate 12.5% is below 20%"))
            + check("1m", "orphaned_containers", nil)
        try ConfigTestSupport.write(tests, to: dir.path + "/tests.yml")
        let (status, output) = try promtool(["test", "rules", dir.path + "/tests.yml"], in: dir)
        #expect(status == 0, "promtool test rules: \(output)")
        #expect(output.contains("SUCCESS"), "\(output)")
    }
}
