import Dispatch
import NIOCore
import NIOPosix
import Synchronization

/// The runtime behind one collector: the registry and catalog, the event queue the host
/// drains, and the threads (one NIO event loop) that serve and sample.
///
/// Threads exist only while something needs them: `startExporter` creates them, `stop`
/// joins them, and a later start creates them again.
public final class Monitoring: Sendable {
    public let registry: MetricsRegistry
    public let catalog: MetricsCatalog
    public let events: EventQueue
    public let loop: LoopMonitor
    public let diversity: DiversityMonitor
    public let resources: ResourceMonitor

    private struct Threads {
        let group: MultiThreadedEventLoopGroup
        /// Blocking work (file reads under /proc, statvfs) runs here, never on the loop.
        let pool: NIOThreadPool
        let exporter: MetricsExporter
    }
    private let threads = Mutex<Threads?>(nil)

    public init(maxSeriesPerFamily: Int = MetricsRegistry.defaultMaxSeriesPerFamily) throws(MetricsError) {
        registry = MetricsRegistry(maxSeriesPerFamily: maxSeriesPerFamily)
        catalog = try MetricsCatalog(registry: registry)
        events = EventQueue()
        loop = try LoopMonitor(catalog: catalog)
        diversity = try DiversityMonitor(catalog: catalog)
        resources = try ResourceMonitor(catalog: catalog, registry: registry, events: events)
        resources.useThreads { [weak self] in self.map { ($0.eventLoop, $0.threadPool) } }
    }

    /// The event loop, created on first use.
    public var eventLoop: EventLoop { ensureThreads().group.next() }

    public var exporter: MetricsExporter { ensureThreads().exporter }

    /// The pool for blocking reads, started on first use.
    public var threadPool: NIOThreadPool { ensureThreads().pool }

    /// Starts serving `/metrics`; returns the bound port, or nil in degraded mode.
    @discardableResult
    public func startExporter(host: String = "127.0.0.1", port: Int = 8000, retryInterval: Double = 5) throws -> Int? {
        let interval = retryInterval.isFinite && retryInterval > 0 ? min(retryInterval, 3_600) : 5
        return try exporter.start(host: host, port: port, retryInterval: .milliseconds(Int64(interval * 1000)))
    }

    public func stopExporter() {
        threads.withLock { $0 }?.exporter.stop()
    }

    /// Joins every thread. Events already queued stay readable; waiting readers wake up.
    public func stop() {
        resources.stop()
        let current = threads.withLock { threads -> Threads? in
            defer { threads = nil }
            return threads
        }
        guard let current else { return }
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
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let pool = NIOThreadPool(numberOfThreads: 2)
            pool.start()
            let created = Threads(group: group, pool: pool, exporter: MetricsExporter(registry: registry, eventLoop: group.next(), events: events))
            threads = created
            return created
        }
    }
}
