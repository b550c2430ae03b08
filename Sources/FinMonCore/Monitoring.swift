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

    private struct Threads {
        let group: MultiThreadedEventLoopGroup
        let exporter: MetricsExporter
    }
    private let threads = Mutex<Threads?>(nil)

    public init(maxSeriesPerFamily: Int = MetricsRegistry.defaultMaxSeriesPerFamily) throws(MetricsError) {
        registry = MetricsRegistry(maxSeriesPerFamily: maxSeriesPerFamily)
        catalog = try MetricsCatalog(registry: registry)
        events = EventQueue()
        loop = try LoopMonitor(catalog: catalog)
        diversity = try DiversityMonitor(catalog: catalog)
    }

    /// The event loop, created on first use.
    public var eventLoop: EventLoop { ensureThreads().group.next() }

    public var exporter: MetricsExporter { ensureThreads().exporter }

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
            current.group.shutdownGracefully(queue: DispatchQueue(label: "finmon.shutdown")) { _ in }
        } else {
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
        let orphaned = threads.withLock { threads -> Threads? in
            defer { threads = nil }
            return threads
        }
        if let orphaned {
            orphaned.exporter.abandon()
            _ = Unmanaged.passRetained(orphaned.group)
        }
    }

    private func ensureThreads() -> Threads {
        threads.withLock { threads in
            if let threads { return threads }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let created = Threads(group: group, exporter: MetricsExporter(registry: registry, eventLoop: group.next(), events: events))
            threads = created
            return created
        }
    }
}
