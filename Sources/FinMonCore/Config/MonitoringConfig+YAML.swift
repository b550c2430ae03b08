#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MonitoringConfig {
    /// Reads and validates a config file. Errors name the file as `path` was given.
    public static func load(path: String) throws(ConfigError) -> MonitoringConfig {
        let bytes = try readFile(path)
        return try decode(YAMLLoader.load(bytes: bytes, fileName: path), fileName: path)
    }

    /// Validates config text; `fileName` is only used in error messages.
    public static func parse(text: String, fileName: String = "monitoring_config.yaml") throws(ConfigError) -> MonitoringConfig {
        try decode(YAMLLoader.load(text: text, fileName: fileName), fileName: fileName)
    }

    /// A config file is small; anything bigger is a wrong path (a log, a device), not a config.
    static let maxFileBytes = 4 << 20

    private static func readFile(_ path: String) throws(ConfigError) -> [UInt8] {
        func failure(_ message: String) -> ConfigError {
            ConfigError(kind: .unreadable, file: path, line: 0, column: 0, message: message)
        }
        func errnoText() -> String {
            let code = errno
            return "\(String(cString: strerror(code))) (errno \(code))"
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open: \(errnoText())") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read: \(errnoText())")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > maxFileBytes { throw failure("larger than \(maxFileBytes) bytes; not a config file") }
        }
    }

    static func decode(_ root: YAMLNode?, fileName: String) throws(ConfigError) -> MonitoringConfig {
        let top = try ConfigSection(
            node: root, path: "", fileName: fileName, allowed: ["monitoring", "alerts", "export", "grafana"])
        var config = MonitoringConfig()
        config.monitoring = try decodeMonitoring(top.section(
            "monitoring",
            allowed: ["enabled", "prometheus", "resource_monitor", "diversity_monitor", "container_monitor", "loop"]))
        config.alerts = try decodeAlerts(top.section(
            "alerts",
            allowed: [
                "enabled", "evaluation_interval_seconds", "log_file", "memory_threshold_percent",
                "cpu_threshold_percent", "diversity_collapse", "champion_staleness", "success_rate",
                "orphaned_containers", "severities", "for_seconds", "alertmanager", "webhook",
            ]), loopWindow: config.monitoring.loop.successWindow)
        let export = try top.section(
            "export", allowed: ["directory", "json_file", "prometheus_file", "retention_days"])
        let defaults = MonitoringConfig.Export()
        config.export.directory = try export.string("directory", default: defaults.directory)
        config.export.jsonFile = try export.string("json_file", default: defaults.jsonFile)
        config.export.prometheusFile = try export.string("prometheus_file", default: defaults.prometheusFile)
        config.export.retentionDays = try export.positiveInt("retention_days", default: defaults.retentionDays)
        let grafana = try top.section("grafana", allowed: ["dashboard_file", "datasource"])
        config.grafana.dashboardFile = try grafana.string("dashboard_file", default: config.grafana.dashboardFile)
        config.grafana.datasource = try grafana.string("datasource", default: config.grafana.datasource)
        return config
    }

    private static func decodeMonitoring(_ section: ConfigSection) throws(ConfigError) -> Monitoring {
        var result = Monitoring()
        result.enabled = try section.bool("enabled", default: result.enabled)

        let prometheus = try section.section(
            "prometheus", allowed: ["enabled", "port", "address", "scrape_interval_seconds"])
        var p = result.prometheus
        p.enabled = try prometheus.bool("enabled", default: p.enabled)
        p.port = try prometheus.int("port", default: p.port, requirement: "a port number in 0...65535") {
            (0...65535).contains($0)
        }
        p.address = try prometheus.string("address", default: p.address)
        p.scrapeIntervalSeconds = try prometheus.seconds("scrape_interval_seconds", default: p.scrapeIntervalSeconds)
        result.prometheus = p

        let resource = try section.section(
            "resource_monitor", allowed: ["enabled", "interval_seconds", "disk_path", "rss_growth_window_seconds"])
        var r = result.resourceMonitor
        r.enabled = try resource.bool("enabled", default: r.enabled)
        r.intervalSeconds = try resource.seconds("interval_seconds", default: r.intervalSeconds)
        r.diskPath = try resource.string("disk_path", default: r.diskPath)
        r.rssGrowthWindowSeconds = try resource.seconds("rss_growth_window_seconds", default: r.rssGrowthWindowSeconds)
        result.resourceMonitor = r

        let diversity = try section.section("diversity_monitor", allowed: ["enabled", "history_size"])
        result.diversityMonitor.enabled = try diversity.bool("enabled", default: result.diversityMonitor.enabled)
        result.diversityMonitor.historySize = try diversity.positiveInt(
            "history_size", default: result.diversityMonitor.historySize)

        let container = try section.section(
            "container_monitor",
            allowed: [
                "enabled", "docker_host", "label", "orphan_statuses",
                "stats_collection_interval_seconds", "request_timeout_seconds",
            ])
        var c = result.containerMonitor
        c.enabled = try container.bool("enabled", default: c.enabled)
        c.dockerHost = try container.optionalString("docker_host", default: c.dockerHost)
        c.label = try container.string("label", default: c.label)
        c.orphanStatuses = try container.stringList(
            "orphan_statuses", default: c.orphanStatuses, choices: ContainerMonitor.dockerStatuses)
        c.statsCollectionIntervalSeconds = try container.seconds(
            "stats_collection_interval_seconds", default: c.statsCollectionIntervalSeconds)
        c.requestTimeoutSeconds = try container.seconds("request_timeout_seconds", default: c.requestTimeoutSeconds)
        result.containerMonitor = c

        let loop = try section.section("loop", allowed: ["success_window"])
        result.loop.successWindow = try loop.positiveInt("success_window", default: result.loop.successWindow)
        return result
    }

    private static func decodeAlerts(_ section: ConfigSection, loopWindow: Int) throws(ConfigError) -> Alerts {
        var a = Alerts()
        a.enabled = try section.bool("enabled", default: a.enabled)
        a.evaluationIntervalSeconds = try section.seconds("evaluation_interval_seconds", default: a.evaluationIntervalSeconds)
        a.logFile = try section.optionalString("log_file", default: a.logFile)
        a.memoryThresholdPercent = try section.percent("memory_threshold_percent", default: a.memoryThresholdPercent)
        a.cpuThresholdPercent = try section.percent("cpu_threshold_percent", default: a.cpuThresholdPercent)

        let diversity = try section.section("diversity_collapse", allowed: ["threshold", "window"])
        a.diversityCollapse.threshold = try diversity.double(
            "threshold", default: a.diversityCollapse.threshold, requirement: "a number in [0, 1]"
        ) { $0 >= 0 && $0 <= 1 }
        a.diversityCollapse.window = try diversity.positiveInt("window", default: a.diversityCollapse.window)

        let staleness = try section.section("champion_staleness", allowed: ["threshold_iterations"])
        a.championStaleness.thresholdIterations = try staleness.positiveInt(
            "threshold_iterations", default: a.championStaleness.thresholdIterations)

        let success = try section.section("success_rate", allowed: ["threshold_percent", "window_iterations"])
        a.successRate.thresholdPercent = try success.percent("threshold_percent", default: a.successRate.thresholdPercent)
        // One rolling window serves the gauge and the rule; unset, it follows the loop's.
        a.successRate.windowIterations = try success.positiveInt("window_iterations", default: loopWindow)
        try success.requireEqual(
            "window_iterations", a.successRate.windowIterations, to: loopWindow,
            because: "monitoring.loop.success_window, the one rolling window the loop keeps")

        let orphaned = try section.section("orphaned_containers", allowed: ["threshold", "auto_cleanup"])
        a.orphanedContainers.threshold = try orphaned.positiveInt("threshold", default: a.orphanedContainers.threshold)
        a.orphanedContainers.autoCleanup = try orphaned.bool("auto_cleanup", default: a.orphanedContainers.autoCleanup)

        let typeNames = AlertType.allCases.map(\.rawValue)
        let severities = try section.section("severities", allowed: typeNames)
        let forSeconds = try section.section("for_seconds", allowed: typeNames)
        for type in AlertType.allCases {
            let name = try severities.choice(
                type.rawValue, default: a.severities[type].rawValue, choices: Severity.allCases.map(\.rawValue))
            let severity = Severity(rawValue: name) ?? a.severities[type]
            a.severities[type] = severity
            a.forSeconds[type] = try forSeconds.double(
                type.rawValue, default: a.forSeconds[type], requirement: "a non-negative number of seconds"
            ) { $0 >= 0 }
        }

        let alertmanager = try section.section("alertmanager", allowed: ["url", "resend_interval_seconds", "labels"])
        a.alertmanager.url = try alertmanager.url("url", default: a.alertmanager.url)
        a.alertmanager.resendIntervalSeconds = try alertmanager.seconds(
            "resend_interval_seconds", default: a.alertmanager.resendIntervalSeconds)
        a.alertmanager.labels = try alertmanager.labels(
            "labels", default: a.alertmanager.labels, reserved: Alertmanager.reservedLabels)
        let webhook = try section.section("webhook", allowed: ["url"])
        a.webhook.url = try webhook.url("url", default: a.webhook.url)
        return a
    }
}
