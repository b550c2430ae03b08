import Dispatch
import NIOCore
import NIOPosix
import Synchronization

/// The runtime behind one collector: the registry and catalog, the event queue the host
/// drains, and the threads (one NIO event loop) that serve and sample.
///
/// Threads exist only while something needs them: `startExporter` creates them, `stop`
/// joins them, and a later start creates them again.
public final class MetricsCollector: Sendable {
    public let registry: MetricsRegistry
    public let catalog: MetricsCatalog
    public let events: EventQueue
    public let loop: LoopMonitor
    public let diversity: DiversityMonitor
    /// Alert rules, the alert log and delivery; configured with `alerts.configure(from:)`.
    public let alerts: AlertManager
    public let containers: ContainerMonitor
    public let resources: ResourceMonitor
    /// The hooks' policy for values they cannot use: skip and count, or refuse in strict mode.
    public let hooks: HookGuard

    private struct Threads {
        let group: MultiThreadedEventLoopGroup
        /// Blocking work (file reads under /proc, statvfs) runs here, never on the loop.
        let pool: NIOThreadPool
        let exporter: MetricsExporter
    }
    private let threads = Mutex<Threads?>(nil)

    /// When the collector was created: the run's start in the final record.
    public let startedAtEpochSeconds: Double = AlertTime.now().epochSeconds
    /// Where `stop()` writes the final record; nil writes nothing (set from the config).
    public let finalExport = Mutex<FinalExport?>(nil)

    public init(maxSeriesPerFamily: Int = MetricsRegistry.defaultMaxSeriesPerFamily) throws(MetricsError) {
        registry = MetricsRegistry(maxSeriesPerFamily: maxSeriesPerFamily)
        catalog = try MetricsCatalog(registry: registry)
        events = EventQueue()
        loop = try LoopMonitor(catalog: catalog)
        diversity = try DiversityMonitor(catalog: catalog)
        resources = try ResourceMonitor(catalog: catalog, registry: registry, events: events)
        alerts = AlertManager(catalog: catalog, events: events, loop: loop, diversity: diversity)
        containers = try ContainerMonitor(catalog: catalog, events: events)
        hooks = HookGuard(counter: catalog.rejectedValuesTotal, events: events)
        resources.useThreads { [weak self] in self.map { ($0.eventLoop, $0.threadPool) } }
        alerts.attach { [weak self] in self?.eventLoop }
        alerts.setProvider(.orphanedContainers) { [containers] in containers.status().orphanedContainers.map { Double($0) } }
        alerts.setProvider(.memoryPercent) { [resources] in resources.currentStats()?.memory?.percent }
        alerts.setProvider(.cpuPercent) { [resources] in resources.currentStats()?.cpuPercent }
    }

    /// The event loop, created on first use.
    public var eventLoop: EventLoop { ensureThreads().group.next() }

    public var exporter: MetricsExporter { ensureThreads().exporter }

    /// The pool for blocking reads, started on first use.
    public var threadPool: NIOThreadPool { ensureThreads().pool }

    /// Starts serving the exposition at `metricsPath`; returns the bound port, or nil in degraded mode.
    @discardableResult
    public func startExporter(
        host: String = "127.0.0.1", port: Int = 8000, retryInterval: Double = 5, metricsPath: String = "/metrics"
    ) throws -> Int? {
        let interval = retryInterval.isFinite && retryInterval > 0 ? min(retryInterval, 3_600) : 5
        return try exporter.start(
            host: host, port: port, retryInterval: .milliseconds(Int64(interval * 1000)), metricsPath: metricsPath)
    }

    /// The exporter's status, without starting threads for a collector that has none.
    public var exporterStatus: MetricsExporter.Status {
        threads.withLock { $0 }?.exporter.status ?? .stopped
    }

    public func stopExporter() {
        threads.withLock { $0 }?.exporter.stop()
    }

    /// Writes metrics_final.json and the Prometheus text snapshot now.
    public func exportFinal(to export: FinalExport) throws(AtomicFile.WriteError) {
        let run = FinalExport.Run(
            startedAtEpochSeconds: startedAtEpochSeconds, endedAtEpochSeconds: AlertTime.now().epochSeconds,
            iterations: loop.snapshot().lastIteration)
        try export.write(registry: registry, run: run, activeAlerts: alerts.activeAlerts.map { $0.jsonLine() })
    }

    /// Joins every thread, then writes the final record if one is configured (returning
    /// the write's error, if any). Events already queued stay readable.
    @discardableResult
    public func stop() -> AtomicFile.WriteError? {
        // Before the loop goes: its timers are cancelled while it still runs them.
        alerts.shutDown()
        containers.stop()
        resources.stop()
        let current = threads.withLock { threads -> Threads? in
            defer { threads = nil }
            return threads
        }
        if let current {
            current.exporter.stop()
            if Self.inForkedChild.load(ordering: .relaxed) {
                // libdispatch does not survive a fork once the parent used it, and NIO's
                // synchronous shutdown waits on a Dispatch queue: it would never return. The
                // loop thread still ends; only the completion callback is never delivered.
                let queue = DispatchQueue(label: "finmon.shutdown")
                current.pool.shutdownGracefully(queue: queue) { _ in }
                current.group.shutdownGracefully(queue: queue) { _ in }
            } else {
                try? current.pool.syncShutdownGracefully()
                try? current.group.syncShutdownGracefully()
            }
        }
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
        inForkedChild.store(true, ordering: .relaxed)
    }

    /// Set in a forked child (see `forgetThreadsAfterFork`), for the rest of its life.
    private static let inForkedChild = Atomic<Bool>(false)

    /// In a forked child the parent's threads do not exist: shutting them down would wait
    /// forever. Drop them without a word (they are leaked, once) so the child can start anew.
    public func forgetThreadsAfterFork() {
        Self.markForkedChild()
        alerts.forgetThreadsAfterFork()
        containers.forgetThreadsAfterFork()
        resources.forgetThreadsAfterFork()
        let orphaned = threads.withLock { threads -> Threads? in
            defer { threads = nil }
            return threads
        }
        if let orphaned {
            orphaned.exporter.abandon()
            _ = Unmanaged.passRetained(orphaned.group)
            _ = Unmanaged.passRetained(orphaned.pool)
        }
    }

    private func ensureThreads() -> Threads {
        threads.withLock { threads in
            if let threads { return threads }
            let created = makeThreads()
            threads = created
            return created
        }
    }

    private func makeThreads() -> Threads {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return Threads(group: group, pool: pool, exporter: MetricsExporter(registry: registry, eventLoop: group.next(), events: events))
    }
}

extension MetricsCollector: EventLoopSource {
    /// Runs `body` under the threads lock, so `stop()` cannot shut the loop down while
    /// `body` schedules on it.
    public func withEventLoop<Value: Sendable>(_ body: (any EventLoop) -> Value) -> Value {
        threads.withLock { threads in
            let current = threads ?? makeThreads()
            threads = current
            return body(current.group.next())
        }
    }
}
