import Testing
@testable import FinMonCore

@Suite struct AlertRulesRendererTests {
    private static let defaultsRendered = AlertRulesRenderer.render(.defaults)

    @Test func defaultsRenderTheDocumentedExpressions() {
        let text = Self.defaultsRendered
        let memory = "100 * system_memory_usage_bytes{job=\"finmon\"} / system_memory_total_bytes{job=\"finmon\"}"
        for line in [
            "groups:\n  - name: finmon\n    interval: 10s\n    rules:\n",
            "      - alert: high_memory\n        expr: |-\n          \(memory) > 80\n          or (\(memory) > 75\n"
                + "            and on(job, instance) ALERTS{alertname=\"high_memory\", alertstate=\"firing\", job=\"finmon\"})\n"
                + "        for: 120s\n",
            "          system_cpu_usage_percent{job=\"finmon\"} > 90\n          or (system_cpu_usage_percent{job=\"finmon\"} > 80\n",
            "        for: 300s\n        labels:\n          severity: warning\n          alert_type: high_cpu\n",
            "      - alert: diversity_collapse\n        expr: population_diversity_window_max{job=\"finmon\"} < 0.1\n        labels:\n",
            "      - alert: champion_staleness\n        expr: champion_staleness_iterations{job=\"finmon\"} >= 20\n",
            "      - alert: low_success_rate\n        expr: strategy_success_rate{job=\"finmon\"} * 100 < 20 "
                + "and strategy_success_window_iterations{job=\"finmon\"} >= 10\n",
            "      - alert: orphaned_containers\n        expr: orphaned_containers{job=\"finmon\"} >= 3\n",
            "      - alert: memory_leak\n        expr: predict_linear(process_resident_memory_bytes{job=\"finmon\"}[300s], 3600) "
                + ">= system_memory_limit_bytes{job=\"finmon\"}\n        for: 600s\n",
            "      - alert: loop_stuck\n        expr: time() - loop_last_iteration_timestamp_seconds{job=\"finmon\"} > 600\n        labels:\n"
                + "          severity: critical\n",
            "      - alert: loop_down\n        expr: up{job=\"finmon\"} == 0\n        for: 60s\n        labels:\n          severity: critical\n",
            "      - alert: loop_absent\n        expr: absent(up{job=\"finmon\"})\n        for: 60s\n",
            "      - alert: alert_log_failing\n        expr: increase(finmon_alert_log_errors_total{job=\"finmon\"}[5m]) > 0\n"
                + "        labels:\n          severity: warning\n",
            "        labels:\n          severity: critical\n          alert_type: high_memory\n",
            "          description: \"Memory usage {{ $value | humanize }}% (fires above 80%, resolves at or below 75%)\"\n",
            "          description: \"Resident memory trend reaches the memory limit within 1 h (forecast {{ $value | humanize }}B)\"\n",
        ] {
            #expect(text.contains(line), "missing: \(line)")
        }
        #expect(text.hasSuffix("alerts still reach the receivers\"\n"))
    }

    @Test func outputIsDeterministic() {
        #expect(AlertRulesRenderer.render(.defaults) == Self.defaultsRendered)
    }

    @Test func configChangesReachTheRules() {
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.alerts.memory_threshold_percent", 75.5)
        config.testSet("monitoring.alerts.hysteresis.high_memory", 0)
        config.testSet("monitoring.alerts.diversity_collapse.threshold", 0.05)
        config.testSet("monitoring.alerts.success_rate.window_iterations", 4)
        config.testSet("monitoring.alerts.for_seconds.high_cpu", 60)
        config.testSet("monitoring.alerts.for_seconds.orphaned_containers", 0.25)
        config.testSet("monitoring.alerts.for_seconds.loop_down", 0)
        config.testSet("monitoring.alerts.severities.high_cpu", "critical")
        config.testSet("monitoring.alerts.evaluation_interval", 1.5)
        config.testSet("monitoring.alerts.memory_leak.horizon", 7200)
        config.testSet("monitoring.resource_monitor.rss_growth_window", 30)
        config.testSet("monitoring.alerts.loop_stuck.expected_iteration_time", 2)
        config.testSet("monitoring.alerts.loop_stuck.multiple", 3)
        config.testSet("monitoring.prometheus.job_name", "evolution")
        let text = AlertRulesRenderer.render(config)
        #expect(text.contains("    interval: 1500ms\n"))
        #expect(text.contains("expr: 100 * system_memory_usage_bytes{job=\"evolution\"} / system_memory_total_bytes{job=\"evolution\"} > 75.5\n"))
        #expect(text.contains("expr: population_diversity_window_max{job=\"evolution\"} < 0.05\n"))
        #expect(text.contains("strategy_success_window_iterations{job=\"evolution\"} >= 4\n"))
        #expect(text.contains("\n        for: 60s\n        labels:\n          severity: critical\n          alert_type: high_cpu\n"))
        #expect(text.contains("expr: orphaned_containers{job=\"evolution\"} >= 3\n        for: 250ms\n"))
        #expect(text.contains("predict_linear(process_resident_memory_bytes{job=\"evolution\"}[30s], 7200)"))
        #expect(text.contains("loop_last_iteration_timestamp_seconds{job=\"evolution\"} > 6\n"))
        #expect(text.contains("expr: up{job=\"evolution\"} == 0\n        labels:\n"))
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
            #expect(output.contains("SUCCESS: 11 rules found"), "\(output)")
        }
    }

    /// The rules fire and stay quiet on the same inputs as the in-process engine would,
    /// hold-down and hysteresis included, checked with promtool's rule unit tests (the
    /// committed config/alert_rules_test.yml covers the shipped defaults in full).
    @Test func promtoolRuleTestsAgreeWithTheEngineConditions() throws {
        try #require(ConfigTestSupport.onPath("promtool"), "promtool is not on PATH")
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.alerts.for_seconds.high_cpu", 30)
        config.testSet("monitoring.alerts.for_seconds.high_memory", 0)
        try ConfigTestSupport.write(AlertRulesRenderer.render(config), to: dir.path + "/rules.yml")
        let target = "job: finmon, instance: \"127.0.0.1:8000\""
        func alert(_ name: String, _ severity: String, _ summary: String, _ description: String) -> String {
            """
                    - exp_labels: {severity: \(severity), alert_type: \(name), \(target)}
                      exp_annotations: {summary: "\(summary)", description: "\(description)"}

            """
        }
        func check(_ time: String, _ name: String, _ expected: String?) -> String {
            "      - eval_time: \(time)\n        alertname: \(name)\n"
                + (expected.map { "        exp_alerts:\n" + $0 } ?? "        exp_alerts: []\n")
        }
        func series(_ name: String, _ values: String) -> String {
            "      - series: '\(name){job=\"finmon\", instance=\"127.0.0.1:8000\"}'\n        values: \"\(values)\"\n"
        }
        let tests = """
            rule_files:
              - rules.yml
            evaluation_interval: 5s
            tests:
              - interval: 5s
                input_series:

            """
            // Memory: 85% fires at once (no hold-down), 78% is inside the 75-80 band and keeps
            // it firing, 74% resolves it.
            + series("system_memory_usage_bytes", "85x12 78x6 74x6")
            + series("system_memory_total_bytes", "100x30")
            + series("system_cpu_usage_percent", "95x30")
            + series("population_diversity_window_max", "NaN 0.5 0.05x28")
            + series("champion_staleness_iterations", "19 20x29")
            + series("strategy_success_rate", "0.125x30")
            + series("strategy_success_window_iterations", "8 9 10x28")
            + series("orphaned_containers", "2x30")
            + "    alert_rule_test:\n"
            + check("0s", "high_memory", alert(
                "high_memory", "critical", "High memory usage", "Memory usage 85% (fires above 80%, resolves at or below 75%)"))
            + check("85s", "high_memory", alert(
                "high_memory", "critical", "High memory usage", "Memory usage 78% (fires above 80%, resolves at or below 75%)"))
            + check("2m", "high_memory", nil)
            + check("25s", "high_cpu", nil)
            + check("1m", "high_cpu", alert(
                "high_cpu", "warning", "High CPU usage", "CPU usage 95% (fires above 90%, resolves at or below 80%)"))
            + check("5s", "diversity_collapse", nil)
            + check("1m", "diversity_collapse", alert(
                "diversity_collapse", "warning", "Population diversity collapsed",
                "Population diversity stayed below 0.1 (highest 0.05) over the last 5 iterations"))
            + check("0s", "champion_staleness", nil)
            + check("1m", "champion_staleness", alert(
                "champion_staleness", "warning", "Champion is stale", "Champion not updated for 20 iterations (threshold 20)"))
            + check("5s", "low_success_rate", nil)
            + check("1m", "low_success_rate", alert(
                "low_success_rate", "critical", "Low strategy success rate", "Strategy success rate 12.5% is below 20%"))
            + check("1m", "orphaned_containers", nil)
        try ConfigTestSupport.write(tests, to: dir.path + "/tests.yml")
        let (status, output) = try promtool(["test", "rules", dir.path + "/tests.yml"], in: dir)
        #expect(status == 0, "promtool test rules: \(output)")
        #expect(output.contains("SUCCESS"), "\(output)")
    }
}
