import Glibc
import Synchronization

/// The config-wired whole: one collector with its exporter, resource sampler, diversity
/// and container monitors, alert evaluation and final record, started from a config in
/// one call and stopped in one. What `finmon.start()` returns in Python and
/// `finmon_runtime_start` in C.
///
/// ```swift
/// let runtime = try Runtime.start(config: MonitoringConfig.load(path: "config/monitoring_config.yaml"))
/// try runtime.collector?.loop.recordIteration(iteration: 1, success: true, executionSeconds: 0.8, sharpe: 1.2, maxDrawdown: nil)
/// runtime.stop()   // joins every thread, writes metrics_final.json
/// ```
///
/// With `monitoring.enabled: false` nothing starts and `collector` is nil.
public final class Runtime: Sendable {
    public let config: MonitoringConfig
    /// nil when `monitoring.enabled` is false.
    public let collector: MetricsCollector?
    /// The file_sd entry of this loop; nil when `monitoring.prometheus.file_sd_path` is null.
    public let announcer: TargetAnnouncer?
    private let stopped = Atomic<Bool>(false)

    private init(config: MonitoringConfig, collector: MetricsCollector?, announcer: TargetAnnouncer? = nil) {
        self.config = config
        self.collector = collector
        self.announcer = announcer
    }

    /// The `run_id` label of this run: `monitoring.prometheus.run_id`, or the one made at
    /// start when that is null and the loop announces itself; nil otherwise.
    public var runID: String? { config.string("monitoring.prometheus.run_id") }

    /// Starts every part the config enables, in the order that lets each see the others:
    /// the loop's windows, the final record, the exporter, the monitors, then the alerts.
    /// A part that cannot start stops the ones already started, and its error is thrown.
    public static func start(config: MonitoringConfig) throws -> Runtime {
        guard config.bool("monitoring.enabled") else { return Runtime(config: config, collector: nil) }
        var config = config
        if config.string("monitoring.prometheus.file_sd_path") != nil, config.string("monitoring.prometheus.run_id") == nil {
            try config.set("monitoring.prometheus.run_id", .string(makeRunID()))
        }
        var link: WorkerLink?
        if config.bool("monitoring.multiprocess") {
            link = try WorkerLink.create(
                gaugeMode: GaugeMode(rawValue: config.string("monitoring.multiprocess_gauge_mode") ?? "") ?? .latest)
        }
        let collector = try MetricsCollector(multiprocess: link)
        let announcer: TargetAnnouncer?
        do {
            announcer = try wire(collector, config)
        } catch {
            collector.stop()
            throw error
        }
        for warning in config.warnings {
            collector.events.push(RuntimeEvent(level: .warning, message: warning.description))
        }
        return Runtime(config: config, collector: collector, announcer: announcer)
    }

    /// A run id no other start makes: the start time (UTC, to the second, so runs sort by
    /// time in a dashboard's list) and 32 random bits.
    static func makeRunID() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let stamp = "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
        let random = String(UInt32.random(in: .min ... .max), radix: 16)
        return stamp + "-" + String(repeating: "0", count: 8 - random.count) + random
    }

    private static func wire(_ collector: MetricsCollector, _ config: MonitoringConfig) throws -> TargetAnnouncer? {
        collector.hooks.isStrict = config.bool("monitoring.strict")
        try collector.loop.configure(successWindow: config.int("monitoring.alerts.success_rate.window_iterations"))
        try collector.diversity.configure(historySize: config.int("monitoring.diversity_monitor.history_size"))
        if config.bool("monitoring.export.enabled") {
            let export = FinalExport(
                directory: config.string("monitoring.export.directory") ?? ".",
                jsonFile: config.string("monitoring.export.final_metrics_path") ?? "metrics_final.json",
                prometheusFile: config.string("monitoring.export.prometheus_snapshot_path")
                    ?? "prometheus_metrics_final.txt",
                reportFile: config.string("monitoring.export.report_path") ?? "report.html")
            // Refused now, not at stop: a run must not learn at its end that its record has nowhere to go.
            try export.validate(jsonArgument: "monitoring.export.final_metrics_path",
                                prometheusArgument: "monitoring.export.prometheus_snapshot_path",
                                reportArgument: "monitoring.export.report_path")
            export.removeStaleTemporaries()
            collector.finalExport.withLock { $0 = export }
        }
        collector.history.configure(historySettings(config))
        collector.history.start()
        var port: Int?
        if config.bool("monitoring.prometheus.enabled") {
            let webConfig = try config.string("monitoring.prometheus.web_config_file").map {
                path throws(ConfigError) in try WebConfig.load(path: path)
            }
            port = try collector.startExporter(
                host: config.string("monitoring.prometheus.address") ?? "127.0.0.1",
                port: config.int("monitoring.prometheus.port"),
                retryInterval: config.double("monitoring.prometheus.retry_interval"),
                metricsPath: config.string("monitoring.prometheus.metrics_path") ?? "/metrics",
                limits: ExporterLimits(config: config), webConfig: webConfig)
        }
        if config.bool("monitoring.resource_monitor.enabled") {
            var sampler = collector.resources.configuration
            sampler.diskPath = config.string("monitoring.resource_monitor.disk_path") ?? "/"
            sampler.rssGrowthWindowSeconds = config.double("monitoring.resource_monitor.rss_growth_window")
            try collector.resources.configure(sampler)
            try collector.resources.start(intervalSeconds: config.double("monitoring.resource_monitor.collection_interval"))
        }
        if config.bool("monitoring.container_monitor.enabled") {
            collector.containers.configure(try ContainerMonitorSettings.from(config: config))
            try collector.containers.startPolling(
                intervalSeconds: config.double("monitoring.container_monitor.stats_collection_interval"))
        }
        collector.alerts.configure(from: config)
        if config.bool("monitoring.alerts.enabled") { try collector.alerts.start() }
        // Last, so a part that fails to start leaves no entry behind. A busy configured port
        // is announced all the same: Prometheus shows the target down until the retry binds.
        guard config.bool("monitoring.prometheus.enabled"),
              let path = config.string("monitoring.prometheus.file_sd_path") else { return nil }
        let announcer = TargetAnnouncer(
            path: path, target: ScrapeTarget(config: config, boundPort: port),
            extraLabels: config.labels("monitoring.alerts.alertmanager.labels"))
        try announcer.announce()
        return announcer
    }

    /// The history samples at the page's refresh and carries the thresholds it draws.
    static func historySettings(_ config: MonitoringConfig) -> MetricsHistory.Settings {
        var settings = MetricsHistory.Settings()
        let refresh = config.string("grafana.refresh_interval").flatMap(ConfigType.durationSeconds) ?? 5
        settings.intervalSeconds = min(max(refresh, 0.1), 3_600)
        for key in ConfigTable.keys where key.path.hasPrefix("monitoring.alerts.") {
            switch key.type {
            case .integer, .number, .seconds: settings.thresholds[key.path] = config.double(key.path)
            default: break
            }
        }
        return settings
    }

    /// The port the exporter serves; nil while it waits for a busy port, or when it is off.
    public var port: Int? {
        guard let collector, case .serving(let port) = collector.exporterStatus else { return nil }
        return port
    }

    /// Removes the file_sd entry (first, so Prometheus drops the target rather than seeing
    /// it down), joins every thread, then writes the final record (returning the write's
    /// error, if any). Only the first call does anything.
    @discardableResult
    public func stop() -> FinalExportError? {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        do {
            try announcer?.withdraw()
        } catch {
            collector?.events.push(RuntimeEvent(
                level: .error, message: "finmon could not remove its entry from the file_sd file: \(error)"))
        }
        return collector?.stop()
    }
}
