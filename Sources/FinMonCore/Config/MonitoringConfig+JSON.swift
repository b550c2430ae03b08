extension MonitoringConfig {
    /// The full effective config (defaults filled in) as one line of JSON with the YAML
    /// key names and sorted keys, so the Python side reads exactly what the library uses.
    public func jsonString() -> String {
        jsonValue.rendered
    }

    var jsonValue: JSONValue {
        let m = monitoring
        let a = alerts
        func table<Value>(_ values: PerAlertType<Value>, _ render: (Value) -> JSONValue) -> JSONValue {
            .sortedObject(AlertType.allCases.map { ($0.rawValue, render(values[$0])) })
        }
        return .sortedObject([
            ("monitoring", .sortedObject([
                ("enabled", .bool(m.enabled)),
                ("prometheus", .sortedObject([
                    ("enabled", .bool(m.prometheus.enabled)),
                    ("port", .int(m.prometheus.port)),
                    ("address", .string(m.prometheus.address)),
                    ("scrape_interval_seconds", .number(m.prometheus.scrapeIntervalSeconds)),
                ])),
                ("resource_monitor", .sortedObject([
                    ("enabled", .bool(m.resourceMonitor.enabled)),
                    ("interval_seconds", .number(m.resourceMonitor.intervalSeconds)),
                    ("disk_path", .string(m.resourceMonitor.diskPath)),
                    ("rss_growth_window_seconds", .number(m.resourceMonitor.rssGrowthWindowSeconds)),
                ])),
                ("diversity_monitor", .sortedObject([
                    ("enabled", .bool(m.diversityMonitor.enabled)),
                    ("history_size", .int(m.diversityMonitor.historySize)),
                ])),
                ("container_monitor", .sortedObject([
                    ("enabled", .bool(m.containerMonitor.enabled)),
                    ("docker_host", .optional(m.containerMonitor.dockerHost)),
                    ("label", .string(m.containerMonitor.label)),
                    ("orphan_statuses", .array(m.containerMonitor.orphanStatuses.map(JSONValue.string))),
                    ("stats_collection_interval_seconds", .number(m.containerMonitor.statsCollectionIntervalSeconds)),
                    ("request_timeout_seconds", .number(m.containerMonitor.requestTimeoutSeconds)),
                ])),
                ("loop", .sortedObject([("success_window", .int(m.loop.successWindow))])),
            ])),
            ("alerts", .sortedObject([
                ("enabled", .bool(a.enabled)),
                ("evaluation_interval_seconds", .number(a.evaluationIntervalSeconds)),
                ("log_file", .optional(a.logFile)),
                ("memory_threshold_percent", .number(a.memoryThresholdPercent)),
                ("cpu_threshold_percent", .number(a.cpuThresholdPercent)),
                ("diversity_collapse", .sortedObject([
                    ("threshold", .number(a.diversityCollapse.threshold)),
                    ("window", .int(a.diversityCollapse.window)),
                ])),
                ("champion_staleness", .sortedObject([
                    ("threshold_iterations", .int(a.championStaleness.thresholdIterations)),
                ])),
                ("success_rate", .sortedObject([
                    ("threshold_percent", .number(a.successRate.thresholdPercent)),
                    ("window_iterations", .int(a.successRate.windowIterations)),
                ])),
                ("orphaned_containers", .sortedObject([
                    ("threshold", .int(a.orphanedContainers.threshold)),
                    ("auto_cleanup", .bool(a.orphanedContainers.autoCleanup)),
                ])),
                ("severities", table(a.severities) { .string($0.rawValue) }),
                ("for_seconds", table(a.forSeconds) { .number($0) }),
                ("alertmanager", .sortedObject([
                    ("url", .optional(a.alertmanager.url)),
                    ("resend_interval_seconds", .number(a.alertmanager.resendIntervalSeconds)),
                    ("labels", .sortedObject(a.alertmanager.labels.map { ($0.key, .string($0.value)) })),
                ])),
                ("webhook", .sortedObject([("url", .optional(a.webhook.url))])),
            ])),
            ("export", .sortedObject([
                ("directory", .string(export.directory)),
                ("json_file", .string(export.jsonFile)),
                ("prometheus_file", .string(export.prometheusFile)),
                ("retention_days", .int(export.retentionDays)),
            ])),
            ("grafana", .sortedObject([
                ("dashboard_file", .string(grafana.dashboardFile)),
                ("datasource", .string(grafana.datasource)),
            ])),
        ])
    }
}
