/// Renders finmon's alert rules as a Prometheus rule file, so an external Prometheus
/// raises the same alerts as the in-process `AlertEngine`. The output depends only on the
/// config (no timestamps, fixed order), so a committed rule file can be compared byte for
/// byte with a freshly rendered one.
public enum AlertRulesRenderer {
    public static func render(_ config: MonitoringConfig) -> String {
        let scrape = config.double("monitoring.prometheus.scrape_interval")
        var out = """
            # Prometheus alerting rules for finmon, generated from monitoring_config.yaml by
            # AlertRulesRenderer. Do not edit: change the config and regenerate.
            groups:
              - name: finmon
                interval: \(duration(config.double("monitoring.alerts.evaluation_interval")))

            """
        let rules = AlertRule.rules(from: config)
        if rules.isEmpty {
            out += "    rules: []\n"
            return out
        }
        out += "    rules:\n"
        for rule in rules {
            if rule.type == .diversityCollapse {
                out += """
                          # In-process the window counts recorded values (iterations); here it is
                          # approximated in time as window x scrape interval (\(rule.window) x \(duration(scrape))).

                    """
            }
            out += "      - alert: \(rule.type.rawValue)\n"
            out += "        expr: \(expression(for: rule, scrapeIntervalSeconds: scrape))\n"
            if rule.forSeconds > 0 {
                out += "        for: \(duration(rule.forSeconds))\n"
            }
            out += "        labels:\n"
            out += "          severity: \(rule.severity.rawValue)\n"
            out += "          alert_type: \(rule.type.rawValue)\n"
            let (summary, description) = annotations(for: rule)
            out += "        annotations:\n"
            out += "          summary: \(quoted(summary))\n"
            out += "          description: \(quoted(description))\n"
        }
        return out
    }

    /// The PromQL condition equivalent to `rule`, over finmon's exported metrics.
    public static func expression(for rule: AlertRule, scrapeIntervalSeconds: Double) -> String {
        let threshold = AlertRule.plain(rule.threshold)
        switch rule.type {
        case .highMemory:
            return "100 * system_memory_usage_bytes / system_memory_total_bytes > \(threshold)"
        case .highCPU:
            return "system_cpu_usage_percent > \(threshold)"
        case .diversityCollapse:
            let range = duration(Double(rule.window) * scrapeIntervalSeconds)
            return "max_over_time(population_diversity[\(range)]) < \(threshold)"
        case .championStaleness:
            return "champion_staleness_iterations >= \(threshold)"
        case .lowSuccessRate:
            return "strategy_success_rate * 100 < \(threshold)"
        case .orphanedContainers:
            return "orphaned_containers >= \(threshold)"
        }
    }

    private static func annotations(for rule: AlertRule) -> (String, String) {
        let limit = AlertRule.plain(rule.threshold)
        let description: String
        switch rule.type {
        case .highMemory:
            description = "Memory usage {{ $value }}% is above \(limit)%"
        case .highCPU:
            description = "CPU usage {{ $value }}% is above \(limit)%"
        case .diversityCollapse:
            description = "Population diversity stayed below \(limit) (highest {{ $value }}) over the last \(rule.window) iterations"
        case .championStaleness:
            description = "Champion not updated for {{ $value }} iterations (threshold \(limit))"
        case .lowSuccessRate:
            description = "Strategy success rate {{ $value }}% is below \(limit)%"
        case .orphanedContainers:
            description = "{{ $value }} orphaned containers (threshold \(limit))"
        }
        return (rule.type.summary, description)
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

    /// YAML double-quoted scalar; `{{` would otherwise start a flow mapping.
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
