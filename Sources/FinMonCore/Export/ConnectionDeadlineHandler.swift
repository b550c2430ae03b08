import NIOCore
import NIOHTTP1

/// Closes an exporter connection that takes too long: a new connection must deliver a
/// whole request within the read timeout (a slowloris client sending a header byte now
/// and then is closed), and between requests a keep-alive connection may wait no longer
/// than the idle timeout. While a request is answered no deadline runs.
///
/// Sits after the HTTP/1.1 codec, so it sees whole request parts; it tells the
/// `ConnectionTable` when the connection waits and when it is being answered.
///
/// State: `.awaitingRequest(reason)` with a timer armed, `.answering` (no timer), `.closed`.
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Why a connection was closed or a request refused; the `reason` label of
    /// `finmon_exporter_connections_rejected_total` (the last two only with a web config).
    enum Reason: String, Sendable {
        case connectionLimit = "connection_limit"
        case readTimeout = "read_timeout"
        case idleTimeout = "idle_timeout"
        /// The TLS handshake failed (plain HTTP to the TLS port, an untrusted client); closed.
        case tlsHandshake = "tls_handshake"
        /// A request without valid basic-auth credentials, answered 401 (the connection stays).
        case unauthorized
    }

    private enum State {
        case awaitingRequest(Reason)
        case answering
        case closed
    }

    private let limits: ExporterLimits
    private let table: ConnectionTable
    private let onClose: @Sendable (Reason) -> Void
    private var state: State = .awaitingRequest(.readTimeout)
    private var timer: Scheduled<Void>?
    /// Bumped at each re-arm, so a timer that fires after being replaced does nothing.
    private var generation = 0

    init(limits: ExporterLimits, table: ConnectionTable, onClose: @escaping @Sendable (Reason) -> Void) {
        self.limits = limits
        self.table = table
        self.onClose = onClose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Counted from acceptance: a client that sends nothing at all is closed too.
        arm(.readTimeout, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        state = .closed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data), case .awaitingRequest = state {
            disarm()
            state = .answering
            table.setWaiting(context.channel, since: nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        let written = promise ?? context.eventLoop.makePromise()
        context.write(data, promise: written)
        written.futureResult.assumeIsolated().whenSuccess { [self] in
            guard case .answering = state else { return }
            table.setWaiting(context.channel, since: .now())
            arm(.idleTimeout, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        state = .closed
        table.remove(context.channel)
        context.fireChannelInactive()
    }

    private func arm(_ reason: Reason, context: ChannelHandlerContext) {
        disarm()
        state = .awaitingRequest(reason)
        let seconds = reason == .readTimeout ? limits.readTimeoutSeconds : limits.idleTimeoutSeconds
        let armed = generation
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { [self] in
            guard armed == generation, case .awaitingRequest(let why) = state else { return }
            state = .closed
            onClose(why)
            context.close(promise: nil)
        }
    }

    private func disarm() {
        generation &+= 1
        timer?.cancel()
        timer = nil
    }
}
