import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The `/metrics` endpoint on the library's event loop.
///
/// A port already in use does not stop the loop being monitored: the exporter logs
/// "Metrics export disabled, Prometheus unavailable", keeps the registry collecting, and
/// tries to bind again every `retryInterval` until it succeeds or is stopped.
public final class MetricsExporter: Sendable {
    public enum Status: Equatable, Sendable {
        case stopped
        case serving(port: Int)
        case degraded(reason: String)
    }

    public enum StartError: Error, CustomStringConvertible {
        case invalidAddress(String, String)
        case alreadyStarted
        public var description: String {
            switch self {
            case .invalidAddress(let address, let reason): "cannot listen on '\(address)': \(reason)"
            case .alreadyStarted: "the exporter is already started; stop it first"
            }
        }
    }

    private struct State {
        var status: Status = .stopped
        var channel: Channel?
        var retry: Scheduled<Void>?
        var generation = 0
        /// What `/` and `/api/history` serve; nil: the text index only.
        var page: LivePage?
    }

    private let registry: MetricsRegistry
    private let events: EventQueue
    private let eventLoop: EventLoop
    private let state = Mutex(State())

    public init(registry: MetricsRegistry, eventLoop: EventLoop, events: EventQueue) {
        self.registry = registry
        self.eventLoop = eventLoop
        self.events = events
    }

    public var status: Status { state.withLock { $0.status } }

    /// The live page to serve at `/` from the next bind on (nil: the text index).
    public func attach(_ page: LivePage?) {
        state.withLock { $0.page = page }
    }

    /// Binds and returns the port served, or nil when the port is busy (degraded mode).
    /// The exposition is served at `metricsPath` (`monitoring.prometheus.metrics_path`).
    /// Call from a thread that is not the event loop's.
    @discardableResult
    public func start(
        host: String, port: Int, retryInterval: TimeAmount = .seconds(5), metricsPath: String = "/metrics"
    ) throws -> Int? {
        guard (0...65_535).contains(port) else {
            throw StartError.invalidAddress("\(host):\(port)", "port must be in 0...65535")
        }
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw StartError.invalidAddress("\(host):\(port)", "\(error)")
        }
        let generation = try state.withLock { state throws -> Int in
            guard state.status == .stopped else { throw StartError.alreadyStarted }
            state.generation += 1
            state.status = .degraded(reason: "starting")
            return state.generation
        }
        return try bind(address, generation: generation, retryInterval: retryInterval, metricsPath: metricsPath,
                        firstAttempt: true).wait()
    }

    public func stop() {
        let (channel, retry) = state.withLock { state -> (Channel?, Scheduled<Void>?) in
            state.generation += 1
            state.status = .stopped
            defer { state.channel = nil; state.retry = nil }
            return (state.channel, state.retry)
        }
        retry?.cancel()
        if let channel { try? channel.close().wait() }
    }

    /// Forgets the channel without touching the event loop, whose thread a fork left behind.
    func abandon() {
        state.withLock { state in
            state.generation += 1
            state.status = .stopped
            state.channel = nil
            state.retry = nil
        }
    }

    private func bind(
        _ address: SocketAddress, generation: Int, retryInterval: TimeAmount, metricsPath: String, firstAttempt: Bool
    ) -> EventLoopFuture<Int?> {
        let registry = self.registry
        let page = state.withLock { $0.page }
        let bootstrap = ServerBootstrap(group: eventLoop)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsHTTPHandler(registry: registry, metricsPath: metricsPath, page: page))
                }
            }
        return bootstrap.bind(to: address).map { channel -> Int? in
            let port = channel.localAddress?.port ?? address.port ?? 0
            let current = self.state.withLock { state -> Bool in
                guard state.generation == generation else { return false }
                state.channel = channel
                state.status = .serving(port: port)
                return true
            }
            guard current else {
                channel.close(promise: nil)
                return nil
            }
            if !firstAttempt {
                self.events.push(RuntimeEvent(level: .info, message: "Metrics export enabled on \(address.ipAddress ?? "?"):\(port)"))
            }
            return port
        }.flatMapError { error -> EventLoopFuture<Int?> in
            guard self.isAddressInUse(error) else {
                self.state.withLock { state in
                    if state.generation == generation { state.status = .stopped }
                }
                return self.eventLoop.makeFailedFuture(StartError.invalidAddress("\(address)", "\(error)"))
            }
            let scheduled = self.state.withLock { state -> Bool in
                guard state.generation == generation else { return false }
                state.status = .degraded(reason: "port \(address.port ?? 0) in use")
                state.retry = self.eventLoop.scheduleTask(in: retryInterval) {
                    _ = self.bind(address, generation: generation, retryInterval: retryInterval,
                                  metricsPath: metricsPath, firstAttempt: false)
                }
                return true
            }
            if scheduled && firstAttempt {
                self.events.push(RuntimeEvent(
                    level: .warning,
                    message: "Metrics export disabled, Prometheus unavailable: port \(address.port ?? 0) is in use; retrying every \(Double(retryInterval.nanoseconds) / 1e9) s",
                    json: "{\"port\":\(address.port ?? 0)}"))
            }
            return self.eventLoop.makeSucceededFuture(nil)
        }
    }

    private func isAddressInUse(_ error: Error) -> Bool {
        if let io = error as? IOError { return io.errnoCode == EADDRINUSE }
        return false
    }
}
