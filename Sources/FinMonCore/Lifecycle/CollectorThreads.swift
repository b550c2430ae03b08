import Dispatch
import NIOCore
import NIOPosix
import Synchronization

/// A collector's threads: one NIO event loop (the exporter, outgoing HTTP, every
/// `EventLoopJob`), a small pool for blocking reads (/proc, statvfs), and the exporter
/// bound to that loop.
///
/// They exist only while something needs them: the first use creates them, `shutDown`
/// joins them, and a later use creates them again. Every monitor reaches the loop through
/// this one source (see `EventLoopJob`).
public final class CollectorThreads: EventLoopSource {
    private struct Threads {
        let group: MultiThreadedEventLoopGroup
        /// Blocking work (file reads under /proc, statvfs) runs here, never on the loop.
        /// Started by the first such read, not with the loop: an exporter alone never needs
        /// its two threads (each a stack and a malloc arena of resident memory).
        var pool: NIOThreadPool?
        let exporter: MetricsExporter
    }

    private let threads = Mutex<Threads?>(nil)
    private let registry: MetricsRegistry
    private let events: EventQueue

    public init(registry: MetricsRegistry, events: EventQueue) {
        self.registry = registry
        self.events = events
    }

    /// The event loop, created on first use.
    public var eventLoop: any EventLoop { withEventLoop { $0 } }

    /// The pool for blocking reads, started on first use.
    public var threadPool: NIOThreadPool {
        threads.withLock { threads in
            var current = threads ?? makeThreads()
            let pool = current.pool ?? Self.startPool()
            current.pool = pool
            threads = current
            return pool
        }
    }

    /// The exporter on the current loop, created with it.
    public var exporter: MetricsExporter { ensure().exporter }

    /// The exporter if the threads run now, without starting them.
    public var runningExporter: MetricsExporter? { threads.withLock { $0?.exporter } }

    /// Runs `body` under the threads lock, so `shutDown()` cannot take the loop down while
    /// `body` schedules on it.
    public func withEventLoop<Value: Sendable>(_ body: (any EventLoop) -> Value) -> Value {
        threads.withLock { threads in
            let current = threads ?? makeThreads()
            threads = current
            return body(current.group.next())
        }
    }

    /// Stops the exporter and joins the threads; call it from a thread that is not theirs.
    /// Returns at once when none run. A later use starts new ones.
    public func shutDown() {
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
            current.pool?.shutdownGracefully(queue: queue) { _ in }
            current.group.shutdownGracefully(queue: queue) { _ in }
        } else {
            try? current.pool?.syncShutdownGracefully()
            try? current.group.syncShutdownGracefully()
        }
    }

    /// Called once in a forked child, before anything else touches the library.
    public static func markForkedChild() {
        inForkedChild.store(true, ordering: .relaxed)
    }

    /// Set in a forked child, for the rest of its life.
    private static let inForkedChild = Atomic<Bool>(false)

    /// In a forked child the parent's threads do not exist: shutting them down would wait
    /// forever. Drop them without a word (they are leaked, once) so the child can start anew.
    public func forgetAfterFork() {
        Self.markForkedChild()
        let orphaned = threads.withLock { threads -> Threads? in
            defer { threads = nil }
            return threads
        }
        if let orphaned {
            orphaned.exporter.abandon()
            _ = Unmanaged.passRetained(orphaned.group)
            if let pool = orphaned.pool { _ = Unmanaged.passRetained(pool) }
        }
    }

    private func ensure() -> Threads {
        threads.withLock { threads in
            let current = threads ?? makeThreads()
            threads = current
            return current
        }
    }

    private func makeThreads() -> Threads {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        return Threads(
            group: group, pool: nil, exporter: MetricsExporter(registry: registry, eventLoop: group.next(), events: events))
    }

    private static func startPool() -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }
}
