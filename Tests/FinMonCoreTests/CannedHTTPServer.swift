import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

@testable import FinMonCore

/// A real listening socket (unix or TCP loopback) that answers each request with
/// a canned reply chosen from the request, and records what it received.
final class CannedHTTPServer: Sendable {
    /// One request as the server saw it.
    struct Received: Sendable {
        var head: String
        var body: [UInt8]
        var requestLine: String {
            head.split(separator: "\r\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        func header(_ name: String) -> String? {
            for line in head.split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                if line[line.startIndex..<colon].lowercased() == name.lowercased() {
                    return line[line.index(after: colon)...].drop(while: { $0 == " " }).description
                }
            }
            return nil
        }
    }

    let endpoint: HTTPEndpoint
    private let channel: any Channel
    private let state: NIOLockedValueBox<(received: [Received], closedConnections: Int)>
    private let unixPath: String?

    private init(
        endpoint: HTTPEndpoint, channel: any Channel,
        state: NIOLockedValueBox<(received: [Received], closedConnections: Int)>, unixPath: String?
    ) {
        self.endpoint = endpoint
        self.channel = channel
        self.state = state
        self.unixPath = unixPath
    }

    var received: [Received] { state.withLockedValue { $0.received } }
    var closedConnections: Int { state.withLockedValue { $0.closedConnections } }

    /// Listens on a fresh unix socket path under the temp directory.
    static func unix(_ respond: @escaping @Sendable (Received) -> CannedReply) async throws -> CannedHTTPServer {
        let path = uniqueSocketPath()
        return try await start(unixPath: path, respond)
    }

    /// Listens on 127.0.0.1 at a port the kernel picks.
    static func tcp(_ respond: @escaping @Sendable (Received) -> CannedReply) async throws -> CannedHTTPServer {
        try await start(unixPath: nil, respond)
    }

    static func uniqueSocketPath() -> String {
        let directory = getenv("TMPDIR").flatMap { String(validatingCString: $0) } ?? "/tmp"
        return "\(directory)/finmon-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    }

    private static func start(
        unixPath: String?, _ respond: @escaping @Sendable (Received) -> CannedReply
    ) async throws -> CannedHTTPServer {
        let state = NIOLockedValueBox<(received: [Received], closedConnections: Int)>(([], 0))
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CannedRequestHandler(state: state, respond: respond))
                }
            }
        let channel: any Channel
        let endpoint: HTTPEndpoint
        if let unixPath {
            channel = try await bootstrap.bind(unixDomainSocketPath: unixPath, cleanupExistingSocketFile: true).get()
            endpoint = .unix(path: unixPath)
        } else {
            channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
            guard let port = channel.localAddress?.port else { throw FutureDeadline.Failure("server has no port") }
            endpoint = .tcp(host: "127.0.0.1", port: port)
        }
        return CannedHTTPServer(endpoint: endpoint, channel: channel, state: state, unixPath: unixPath)
    }

    /// Stops listening (asynchronously) and removes the socket file; safe in `defer`.
    func stop() {
        channel.close(promise: nil)
        if let unixPath { unlink(unixPath) }
    }

    /// Stops listening and returns once the listening socket is closed.
    func stopAndWait() async {
        try? await channel.close()
        if let unixPath { unlink(unixPath) }
    }

    /// Polls `condition` until it holds or `seconds` pass; returns whether it held.
    func waitUntil(seconds: Int64 = 10, _ condition: @Sendable (CannedHTTPServer) -> Bool) async -> Bool {
        let deadline = NIODeadline.now() + .seconds(seconds)
        while NIODeadline.now() < deadline {
            if condition(self) { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return condition(self)
    }
}

/// Reads one request (head plus Content-Length body), then plays the reply.
private final class CannedRequestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let state: NIOLockedValueBox<(received: [CannedHTTPServer.Received], closedConnections: Int)>
    private let respond: @Sendable (CannedHTTPServer.Received) -> CannedReply
    private var bytes: [UInt8] = []
    private var answered = false

    init(
        state: NIOLockedValueBox<(received: [CannedHTTPServer.Received], closedConnections: Int)>,
        respond: @escaping @Sendable (CannedHTTPServer.Received) -> CannedReply
    ) {
        self.state = state
        self.respond = respond
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        guard !answered else { return }
        bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        guard let request = parsedRequest() else { return }
        answered = true
        state.withLockedValue { $0.received.append(request) }
        switch respond(request) {
        case .silent:
            break
        case .hangUp:
            context.close(promise: nil)
        case .parts(let parts):
            for part in parts {
                context.writeAndFlush(Self.wrapOutboundOut(context.channel.allocator.buffer(bytes: part)), promise: nil)
            }
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            // Close only after the last write went out, so large replies are not cut.
            context.writeAndFlush(Self.wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
                .whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.withLockedValue { $0.closedConnections += 1 }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func parsedRequest() -> CannedHTTPServer.Received? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard bytes.count >= separator.count,
            let end = (0...(bytes.count - separator.count)).first(where: {
                Array(bytes[$0..<($0 + separator.count)]) == separator
            })
        else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        var request = CannedHTTPServer.Received(head: head, body: [])
        let bodyStart = end + separator.count
        let length = request.header("content-length").flatMap { Int($0) } ?? 0
        guard bytes.count - bodyStart >= length else { return nil }
        request.body = Array(bytes[bodyStart..<(bodyStart + length)])
        return request
    }
}
