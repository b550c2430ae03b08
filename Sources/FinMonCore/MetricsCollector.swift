import NIOCore
import Synchronization

/// The runtime behind one collector: the registry and catalog, the monitors, the event
/// queue the host drains, and the threads (one NIO event loop) that serve and sample.
///
/// Threads exist only while something needs them: `startExporter` or a monitor's start
/// creates them, `stop` joins them, and a later start creates them again. Every monitor
/// reaches them through `threads` (see `EventLoopJob`).
///
///     let collector = try MetricsCollector()
///     try collector.startExporter(port: 8000)
///     try collector.resources.start(intervalSeconds: 5)
///     collector.stop()                       // joins every thread
public final class MetricsCollector: Sendable {
    public let registry: MetricsRegistry
    public let catalog: MetricsCatalog
    public let events: EventQueue
    public let threads: CollectorThreads
    public let loop: LoopMonitor
    public let diversity: DiversityMonitor
    /// Alert rules, the alert log and delivery; configured with `alerts.configure(from:)`.
    public let alerts: AlertManager
    public let containers: ContainerMonitor
    public let resources: ResourceMonitor
    /// The hooks' policy for values they cannot use: skip and count, or refuse in strict mode.
    public let hooks: HookGuard
    /// The run's metrics over time, for the live page at `/` and the report.
    public let history: MetricsHistory

    /// When the collector was created: the run's start in the final record.
    public let startedAtEpochSeconds: Double = AlertTime.now().epochSeconds
    /// Where `stop()` writes the final record; nil writes nothing (set from the config).
    public let finalExport = Mutex<FinalExport?>(nil)

    /// With `multiprocess` (a `WorkerLink`), every write also reaches the run's shared
    /// segment, and a parent's exporter shows the sums of every process of the run.
    public init(
        maxSeriesPerFamily: Int = MetricsRegistry.defaultMaxSeriesPerFamily, multiprocess: WorkerLink? = nil
    ) throws(MetricsError) {
        registry = MetricsRegistry(maxSeriesPerFamily: maxSeriesPerFamily, multiprocess: multiprocess)
        catalog = try MetricsCatalog(registry: registry)
        events = EventQueue()
        threads = CollectorThreads(registry: registry, events: events)
        loop = try LoopMonitor(catalog: catalog)
        diversity = try DiversityMonitor(catalog: catalog)
        resources = try ResourceMonitor(catalog: catalog, registry: registry, events: events, threads: threads)
        alerts = AlertManager(catalog: catalog, events: events, loop: loop, diversity: diversity, threads: threads)
        containers = try ContainerMonitor(catalog: catalog, events: events, threads: threads)
        hooks = HookGuard(counter: catalog.rejectedValuesTotal, events: events)
        history = MetricsHistory(registry: registry, threads: threads, champions: diversity.champions,
                                 activeAlerts: { [alerts] in alerts.activeAlerts })
        alerts.setProvider(.orphanedContainers) { [containers] in containers.status().orphanedContainers.map { Double($0) } }
        alerts.setProvider(.memoryPercent) { [resources] in resources.currentStats()?.memory?.percent }
        alerts.setProvider(.cpuPercent) { [resources] in resources.currentStats()?.cpuPercent }
        alerts.setProvider(.residentMemoryBytes) { [resources] in
            resources.currentStats()?.process.map { Double($0.residentBytes) }
        }
        alerts.setProvider(.residentMemoryGrowth) { [resources] in resources.currentStats()?.rssGrowthBytesPerSecond }
        alerts.setProvider(.memoryLimitBytes) { [resources] in resources.currentStats()?.memoryLimitBytes.map(Double.init) }
        alerts.attach(boundPort: { [weak self] in
            guard let self, case .serving(let port) = self.exporterStatus else { return nil }
            return port
        })
    }

    /// The event loop, created on first use.
    public var eventLoop: any EventLoop { threads.eventLoop }

    public var exporter: MetricsExporter { threads.exporter }

    /// The exporter's connection limits used when `startExporter` is given none (set by the
    /// C ABI's finmon_exporter_configure, so `start_http_server`'s keywords reach the start).
    public let exporterLimits = Mutex<ExporterLimits>(.default)

    /// The TLS and basic auth used when `startExporter` is given no web config (set by the
    /// C ABI's finmon_exporter_configure_web, from `start_http_server(web_config_file=...)`).
    public let exporterWebConfig = Mutex<WebConfig?>(nil)

    /// Starts serving the exposition at `metricsPath`; returns the bound port, or nil in degraded mode.
    @discardableResult
    public func startExporter(
        host: String = "127.0.0.1", port: Int = 8000, retryInterval: Double = 5, metricsPath: String = "/metrics",
        limits: ExporterLimits? = nil, webConfig: WebConfig? = nil
    ) throws -> Int? {
        let bounds = ConfigTable.secondsBounds("monitoring.prometheus.retry_interval")
        let interval = bounds.contains(retryInterval) ? retryInterval : min(max(retryInterval.isNaN ? 5 : retryInterval, bounds.lower), bounds.upper)
        exporter.attach(LivePage(history: history, metricsPath: metricsPath))
        // The page draws the history: sample it (at the default interval unless the runtime set one).
        if !history.isRunning { history.start() }
        return try exporter.start(
            host: host, port: port, retryInterval: .milliseconds(Int64(interval * 1000)), metricsPath: metricsPath,
            limits: limits ?? exporterLimits.withLock { $0 }, webConfig: webConfig ?? exporterWebConfig.withLock { $0 })
    }

    /// The exporter's status, without starting threads for a collector that has none.
    public var exporterStatus: MetricsExporter.Status {
        threads.runningExporter?.status ?? .stopped
    }

    public func stopExporter() {
        threads.runningExporter?.stop()
    }

    /// Writes metrics_final.json and the Prometheus text snapshot now.
    public func exportFinal(to export: FinalExport) throws(FinalExportError) {
        let run = FinalExport.Run(
            startedAtEpochSeconds: startedAtEpochSeconds, endedAtEpochSeconds: AlertTime.now().epochSeconds,
            iterations: loop.snapshot().lastIteration)
        // A collector that never sampled (no runtime, no exporter) has no history to report.
        try export.write(registry: registry, run: run, activeAlerts: alerts.activeAlerts.map { $0.jsonLine() },
                         history: history.sampleCount > 0 ? history.json() : nil)
    }

    /// Joins every thread, then writes the final record if one is configured (returning
    /// the write's error, if any). Events already queued stay readable.
    @discardableResult
    public func stop() -> FinalExportError? {
        // Before the loop goes: its timers are cancelled while it still runs them.
        alerts.shutDown()
        // The last values, so the report ends where the run did (and a run stopped before
        // the job's first tick on a busy machine still has its sample).
        let sampled = history.isRunning || history.sampleCount > 0
        history.stop()
        if sampled { history.sample() }
        containers.stop()
        resources.stop()
        threads.shutDown()
        guard let export = finalExport.withLock({ $0 }) else { return nil }
        do {
            try exportFinal(to: export)
            return nil
        } catch {
            events.push(RuntimeEvent(level: .error, message: "finmon could not write the final record: \(error)"))
            return error
        }
    }

    /// Called once in a forked child, before anything else touches the library.
    public static func markForkedChild() {
        CollectorThreads.markForkedChild()
        // A forked worker of a multiprocess run writes a slot of its own from here on.
        WorkerLink.afterForkInChild()
    }

    /// In a forked child the parent's threads do not exist: shutting them down would wait
    /// forever. Drop them without a word (they are leaked, once) so the child can start anew.
    public func forgetThreadsAfterFork() {
        Self.markForkedChild()
        alerts.forgetThreadsAfterFork()
        containers.forgetThreadsAfterFork()
        resources.forgetThreadsAfterFork()
        history.forgetThreadsAfterFork()
        threads.forgetAfterFork()
    }
}
