/// Renders finmon's alert rules as a Prometheus rule file, so a Prometheus scraping the
/// loop raises the very alerts the in-process `AlertEngine` raises: the same label sets
/// (`alertname`, `alert_type`, `severity`, and the target's `job` and `instance`, which
/// finmon's own alerts carry too, see `ScrapeTarget`), thresholds, `for:` durations,
/// hysteresis, and iteration windows (read from gauges finmon exports for the purpose, not
/// approximated in time). Alertmanager then sees one alert per condition, whichever
/// source is on. The file also holds what only Prometheus can see: the `TargetAlert`s.
///
/// The output depends only on the config (no timestamps, fixed order), so a committed rule
/// file can be compared byte for byte with a freshly rendered one.
public enum AlertRulesRenderer {
    public static func render(_ config: MonitoringConfig) -> String {
        var out = """
            # Prometheus alerting rules for finmon, generated from monitoring_config.yaml by
            # AlertRulesRenderer (`python -m finmon rules CONFIG`). Do not edit: change the config
            # and regenerate. Each rule raises the alert finmon's in-process evaluation raises for
            # the same condition, with the same labels, threshold, hold-down (for:) and hysteresis,
            # so Alertmanager deduplicates the two; loop_down, loop_absent and alert_log_failing only
            # Prometheus sees.
            groups:
              - name: finmon
                interval: \(duration(config.double("monitoring.alerts.evaluation_interval")))

            """
        let rules = AlertRule.rules(from: config)
        if rules.isEmpty {
            out += "    rules: []\n"
            return out
        }
        let job = config.string("monitoring.prometheus.job_name") ?? "finmon"
        let growthWindow = config.double("monitoring.resource_monitor.rss_growth_window")
        out += "    rules:\n"
        for rule in rules {
            out += entry(
                name: rule.type.rawValue, expression: expression(for: rule, job: job, growthWindowSeconds: growthWindow),
                forSeconds: rule.forSeconds, severity: rule.severity, summary: rule.type.summary,
                description: description(for: rule))
        }
        for alert in TargetAlert.allCases {
            let selector = "up{job=\(quoted(job))}"
            let (expression, description) = switch alert {
            case .loopDown:
                ("\(selector) == 0",
                 "Prometheus cannot scrape {{ $labels.instance }} of job \(job): the loop process died or hangs")
            case .loopAbsent:
                ("absent(\(selector))", "Prometheus has no target of job \(job): check its scrape configuration")
            case .alertLogFailing:
                ("increase(finmon_alert_log_errors_total{job=\(quoted(job))}[5m]) > 0",
                 "{{ $labels.instance }} could not append to its alert log in the last 5 minutes (disk full or not writable); alerts still reach the receivers")
            }
            out += entry(
                name: alert.rawValue, expression: expression, forSeconds: config.forSeconds(of: alert.rawValue),
                severity: config.severity(of: alert.rawValue), summary: alert.summary, description: description)
        }
        return out
    }

    private static func entry(
        name: String, expression: String, forSeconds: Double, severity: Severity, summary: String, description: String
    ) -> String {
        var out = "      - alert: \(name)\n"
        if expression.contains("\n") {
            out += "        expr: |-\n"
            for line in expression.split(separator: "\n") { out += "          \(line)\n" }
        } else {
            out += "        expr: \(expression)\n"
        }
        if forSeconds > 0 { out += "        for: \(duration(forSeconds))\n" }
        out += "        labels:\n"
        out += "          severity: \(severity.rawValue)\n"
        out += "          alert_type: \(name)\n"
        out += "        annotations:\n"
        out += "          summary: \(quoted(summary))\n"
        out += "          description: \(quoted(description))\n"
        return out
    }

    /// The PromQL condition equivalent to `rule`, over the exported metrics of `job`.
    /// memory_leak fits its trend over `growthWindowSeconds`, the window of finmon's own
    /// growth slope (`monitoring.resource_monitor.rss_growth_window`).
    public static func expression(for rule: AlertRule, job: String, growthWindowSeconds: Double) -> String {
        let threshold = AlertRule.plain(rule.threshold)
        let of = "{job=\(quoted(job))}"
        switch rule.type {
        case .highMemory:
            return withHysteresis("100 * system_memory_usage_bytes\(of) / system_memory_total_bytes\(of)", rule, job: job)
        case .highCPU:
            return withHysteresis("system_cpu_usage_percent\(of)", rule, job: job)
        case .diversityCollapse:
            return "population_diversity_window_max\(of) < \(threshold)"
        case .championStaleness:
            return "champion_staleness_iterations\(of) >= \(threshold)"
        case .lowSuccessRate:
            // The in-process rule waits for a full window of iterations; so does this one.
            return "strategy_success_rate\(of) * 100 < \(threshold)"
                + " and strategy_success_window_iterations\(of) >= \(rule.window)"
        case .orphanedContainers:
            return "orphaned_containers\(of) >= \(threshold)"
        case .memoryLeak:
            return "predict_linear(process_resident_memory_bytes\(of)[\(duration(growthWindowSeconds))], \(threshold))"
                + " >= system_memory_limit_bytes\(of)"
        case .loopStuck:
            return "time() - loop_last_iteration_timestamp_seconds\(of) > \(threshold)"
        }
    }

    /// `value > threshold`, and once the alert fires, `value > threshold - hysteresis`: the
    /// rule's own firing alert (Prometheus' ALERTS series) keeps it up in between, as the
    /// in-process engine keeps a firing alert until its reading is cleared.
    private static func withHysteresis(_ value: String, _ rule: AlertRule, job: String) -> String {
        let firing = "\(value) > \(AlertRule.plain(rule.threshold))"
        guard rule.hysteresis > 0 else { return firing }
        let alerts = "ALERTS{alertname=\(quoted(rule.type.rawValue)), alertstate=\"firing\", job=\(quoted(job))}"
        return firing + "\nor (\(value) > \(AlertRule.plain(rule.clearThreshold))\n  and on(job, instance) \(alerts))"
    }

    private static func description(for rule: AlertRule) -> String {
        let limit = AlertRule.plain(rule.threshold)
        switch rule.type {
        case .highMemory:
            return "Memory usage {{ $value | humanize }}% (fires above \(limit)%, resolves at or below \(AlertRule.plain(rule.clearThreshold))%)"
        case .highCPU:
            return "CPU usage {{ $value | humanize }}% (fires above \(limit)%, resolves at or below \(AlertRule.plain(rule.clearThreshold))%)"
        case .diversityCollapse:
            return "Population diversity stayed below \(limit) (highest {{ $value }}) over the last \(rule.window) iterations"
        case .championStaleness:
            return "Champion not updated for {{ $value }} iterations (threshold \(limit))"
        case .lowSuccessRate:
            return "Strategy success rate {{ $value | humanize }}% is below \(limit)%"
        case .orphanedContainers:
            return "{{ $value }} orphaned containers (threshold \(limit))"
        case .memoryLeak:
            return "Resident memory trend reaches the memory limit within \(AlertRule.span(rule.threshold)) "
                + "(forecast {{ $value | humanize }}B)"
        case .loopStuck:
            return "No iteration recorded for {{ $value | humanizeDuration }} (threshold \(AlertRule.span(rule.threshold)))"
        }
    }

    /// A Prometheus duration: whole seconds as `25s`, otherwise milliseconds (`1500ms`),
    /// never below 1ms (a zero range or interval is invalid) nor above 100 years
    /// (Prometheus keeps durations as int64 nanoseconds, ~292 years).
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "1ms" }
        let clamped = min(seconds, maxDurationSeconds)
        let milliseconds = max((clamped * 1000).rounded(), 1)
        guard let ms = Int(exactly: milliseconds) else { return "1ms" }
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }

    static let maxDurationSeconds = 100.0 * 365 * 86400

    /// YAML and PromQL double-quoted string; `{{` would otherwise start a YAML flow mapping.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
