import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client: one request per connection (`Connection: close`),
/// over TCP or a unix domain socket, with the whole exchange under one deadline.
///
/// It owns no threads: requests run on the caller's `EventLoopGroup`. Every
/// returned future fails with an `HTTPClientError` and nothing else.
public final class HTTPClient: Sendable {
    /// Large enough for a Docker container list with thousands of entries, small
    /// enough that a misbehaving peer cannot grow the host process without bound.
    public static let defaultMaxBodyBytes = 16 * 1024 * 1024

    public let eventLoopGroup: any EventLoopGroup
    public let maxBodyBytes: Int

    public init(eventLoopGroup: any EventLoopGroup, maxBodyBytes: Int = HTTPClient.defaultMaxBodyBytes) {
        self.eventLoopGroup = eventLoopGroup
        self.maxBodyBytes = max(0, maxBodyBytes)
    }

    /// Sends `request` and reads the full response. `timeout` covers connecting,
    /// sending and reading the whole body; when it passes the connection is closed
    /// and the future fails with `HTTPClientError.timeout`.
    ///
    /// Called on one of the group's loops, the request runs on that same loop.
    public func execute(_ request: HTTPRequest, timeout: TimeAmount) -> EventLoopFuture<HTTPResponse> {
        let eventLoop = eventLoopGroup.any()
        let promise = eventLoop.makePromise(of: HTTPResponse.self)
        do {
            try request.validate()
        } catch {
            promise.fail(error)
            return promise.futureResult
        }
        guard timeout > .zero else {
            promise.fail(HTTPClientError.timeout)
            return promise.futureResult
        }

        let timeoutTask = eventLoop.scheduleTask(in: timeout) {
            promise.fail(HTTPClientError.timeout)
        }
        promise.futureResult.whenComplete { _ in timeoutTask.cancel() }

        let head = request.wireHead()
        let body = request.body
        let maxBodyBytes = self.maxBodyBytes
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                // However the promise completes (response, error or timeout), the
                // connection goes with it; this also aborts a connect still in flight.
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                do {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(
                        HTTPResponseCollector(
                            requestHead: head, requestBody: body, maxBodyBytes: maxBodyBytes, promise: promise))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }

        let endpoint = request.endpoint
        let connected: EventLoopFuture<any Channel>
        switch endpoint {
        case .tcp(let host, let port):
            connected = bootstrap.connect(host: host, port: port)
        case .unix(let path):
            connected = bootstrap.connect(unixDomainSocketPath: path)
        }
        connected.whenFailure { error in
            promise.fail(HTTPClient.connectError(error, endpoint: endpoint))
        }
        return promise.futureResult
    }

    /// `execute` for a thread that is not an event loop thread (the tests use it).
    /// On an event loop thread it throws `.blockingOnEventLoop` instead of deadlocking.
    func executeBlocking(_ request: HTTPRequest, timeout: TimeAmount) throws(HTTPClientError) -> HTTPResponse {
        guard !HTTPClient.isOnEventLoopThread else { throw .blockingOnEventLoop }
        do {
            return try HTTPClient.waitOffEventLoop(execute(request, timeout: timeout))
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw .io(reason: "\(error)")
        }
    }

    /// Waits for any future from a non-event-loop thread; on a loop thread it throws
    /// `HTTPClientError.blockingOnEventLoop` (NIO would trap or deadlock there).
    /// Other errors are the future's own.
    public static func waitOffEventLoop<Value: Sendable>(_ future: EventLoopFuture<Value>) throws -> Value {
        guard !future.eventLoop.inEventLoop, !isOnEventLoopThread else {
            throw HTTPClientError.blockingOnEventLoop
        }
        return try future.wait()
    }

    /// True on any NIOPosix event loop thread, not only the loops of one group.
    public static var isOnEventLoopThread: Bool {
        MultiThreadedEventLoopGroup.currentEventLoop != nil
    }

    static func connectError(_ error: any Error, endpoint: HTTPEndpoint) -> HTTPClientError {
        if let error = error as? HTTPClientError { return error }
        if let error = error as? ChannelError, case .connectTimeout = error { return .timeout }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first {
                if let channelError = first.error as? ChannelError, case .connectTimeout = channelError {
                    return .timeout
                }
                return .connectFailed(endpoint: endpoint.description, reason: "\(first.error)")
            }
            let reason = error.dnsAAAAError ?? error.dnsAError
            return .connectFailed(
                endpoint: endpoint.description,
                reason: reason.map { "cannot resolve host: \($0)" } ?? "no address to connect to")
        }
        return .connectFailed(endpoint: endpoint.description, reason: "\(error)")
    }
}
