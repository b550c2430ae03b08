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
        /// A limit outside its settings-table bounds; the message names the argument.
        case invalidLimit(String)
        public var description: String {
            switch self {
            case .invalidAddress(let address, let reason): "cannot listen on '\(address)': \(reason)"
            case .alreadyStarted: "the exporter is already started; stop it first"
            case .invalidLimit(let message): message
            }
        }
    }

    /// A new connection closed because every open one is being answered (see `ConnectionTable`).
    struct ConnectionRefused: Error {}

    private struct State {
        var status: Status = .stopped
        var channel: Channel?
        var retry: Scheduled<Void>?
        var generation = 0
        /// What `/` and `/api/history` serve; nil: the text index only.
        var page: LivePage?
        /// The running start's basic auth, whose bcrypt thread `stop` joins.
        var authenticator: BasicAuthenticator?
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
    /// The exposition is served at `metricsPath` (`monitoring.prometheus.metrics_path`);
    /// `limits` bound the connections and how long a client may take (`ExporterLimits`);
    /// `webConfig` (`monitoring.prometheus.web_config_file`) puts everything served behind
    /// TLS and basic authentication, and is loaded before anything listens: a certificate
    /// that does not load is a `ConfigError`, never plain HTTP.
    /// Call from a thread that is not the event loop's.
    @discardableResult
    public func start(
        host: String, port: Int, retryInterval: TimeAmount = .seconds(5), metricsPath: String = "/metrics",
        limits: ExporterLimits = .default, webConfig: WebConfig? = nil
    ) throws -> Int? {
        guard (0...65_535).contains(port) else {
            throw StartError.invalidAddress("\(host):\(port)", "port must be in 0...65535")
        }
        try limits.validate()
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw StartError.invalidAddress("\(host):\(port)", "\(error)")
        }
        let tls = try webConfig?.makeTLSContext()
        let users = webConfig?.basicAuthUsers ?? [:]
        let generation = try state.withLock { state throws -> Int in
            guard state.status == .stopped else { throw StartError.alreadyStarted }
            state.generation += 1
            state.status = .degraded(reason: "starting")
            state.authenticator = users.isEmpty ? nil : BasicAuthenticator(users: users)
            return state.generation
        }
        let serving = Serving(metricsPath: metricsPath, limits: limits, rejected: rejectedCounter(), tls: tls,
                              authenticator: state.withLock { $0.authenticator })
        do {
            return try bind(address, generation: generation, retryInterval: retryInterval, serving: serving,
                            firstAttempt: true).wait()
        } catch {
            let unused = state.withLock { state -> BasicAuthenticator? in
                guard state.generation == generation else { return nil }
                defer { state.authenticator = nil }
                return state.authenticator
            }
            unused?.shutdown()
            throw error
        }
    }

    public func stop() {
        let (channel, retry, authenticator) = state.withLock { state in
            state.generation += 1
            state.status = .stopped
            defer { state.channel = nil; state.retry = nil; state.authenticator = nil }
            return (state.channel, state.retry, state.authenticator)
        }
        retry?.cancel()
        if let channel { try? channel.close().wait() }
        authenticator?.shutdown()
    }

    /// Forgets the channel without touching the event loop, whose thread a fork left behind.
    func abandon() {
        state.withLock { state in
            state.generation += 1
            state.status = .stopped
            state.channel = nil
            state.retry = nil
            state.authenticator?.abandon()
            state.authenticator = nil
        }
    }

    /// What each connection of one start is served with.
    private struct Serving: Sendable {
        let metricsPath: String
        let limits: ExporterLimits
        let rejected: LabeledMetric<Counter>?
        let tls: TLSContext?
        let authenticator: BasicAuthenticator?
    }

    /// The catalog's `finmon_exporter_connections_rejected_total`, when the registry has it.
    private func rejectedCounter() -> LabeledMetric<Counter>? {
        registry.family(named: "finmon_exporter_connections_rejected_total").flatMap { try? LabeledMetric<Counter>($0) }
    }

    private func bind(
        _ address: SocketAddress, generation: Int, retryInterval: TimeAmount, serving: Serving, firstAttempt: Bool
    ) -> EventLoopFuture<Int?> {
        let registry = self.registry
        let page = state.withLock { $0.page }
        let table = ConnectionTable(limit: serving.limits.maxConnections)
        let rejected = serving.rejected
        let count: @Sendable (ConnectionDeadlineHandler.Reason) -> Void = { reason in
            rejected?.child([reason.rawValue]).inc()
        }
        let bootstrap = ServerBootstrap(group: eventLoop)
            // Deep enough that a burst of connections (thousands from one client) waits in
            // the kernel's queue, where it costs this process no descriptor, instead of
            // having a scrape's SYN dropped and retried a second later.
            .serverChannelOption(.backlog, value: 4096)
            // Accept several per loop turn, or a flood of requests on open connections starves
            // the queue of new ones (a scrape's among them); but well under the cap, so a new
            // connection gets its first read before enough newer ones arrive to make it the
            // longest waiting, which the cap would close.
            .serverChannelOption(.maxMessagesPerRead, value: UInt(max(1, min(32, serving.limits.maxConnections / 4))))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                // The cap first, before the connection costs anything more than its descriptor.
                switch table.admit(channel) {
                case .refused:
                    count(.connectionLimit)
                    return channel.eventLoop.makeFailedFuture(ConnectionRefused())  // the bootstrap closes it
                case .admitted(let evicted):
                    if let evicted {
                        count(.connectionLimit)
                        evicted.close(promise: nil)
                    }
                }
                channel.closeFuture.whenComplete { _ in table.remove(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    #if TLS
                    // The handshake first: what follows sees plain bytes (and the read deadline
                    // below runs from acceptance, so a handshake never finished is closed too).
                    if let tls = serving.tls {
                        try handlers.addHandlers(tls.makeHandlers { count(.tlsHandshake) })
                    }
                    #endif
                    // The codec goes in after HTTPOnFirstRead once bytes arrive; nothing reaches
                    // the handlers behind it before then.
                    try handlers.addHandler(HTTPOnFirstRead())
                    try handlers.addHandler(
                        ConnectionDeadlineHandler(limits: serving.limits, table: table, onClose: count))
                    if let authenticator = serving.authenticator {
                        try handlers.addHandler(BasicAuthHandler(authenticator: authenticator) { count(.unauthorized) })
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsHTTPHandler(registry: registry, metricsPath: serving.metricsPath, page: page))
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
                                  serving: serving, firstAttempt: false)
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
