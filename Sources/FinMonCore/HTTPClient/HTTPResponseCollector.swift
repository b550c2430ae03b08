import NIOCore
import NIOHTTP1

/// Sends one request when the connection comes up and gathers the response into
/// memory, enforcing the body cap as bytes arrive (not after the fact).
///
/// It is the only place that completes the request promise from the channel side;
/// the client closes the channel whenever that promise completes.
final class HTTPResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let requestHead: HTTPRequestHead
    private let requestBody: [UInt8]
    private let maxBodyBytes: Int
    private let promise: EventLoopPromise<HTTPResponse>

    private var responseHead: HTTPResponseHead?
    private var responseBody: ByteBuffer?
    private var finished = false

    init(
        requestHead: HTTPRequestHead,
        requestBody: [UInt8],
        maxBodyBytes: Int,
        promise: EventLoopPromise<HTTPResponse>
    ) {
        self.requestHead = requestHead
        self.requestBody = requestBody
        self.maxBodyBytes = maxBodyBytes
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(Self.wrapOutboundOut(.head(requestHead)), promise: nil)
        if !requestBody.isEmpty {
            let buffer = context.channel.allocator.buffer(bytes: requestBody)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        // Write failures are not fatal by themselves: a server may answer and close
        // before reading everything. A missing answer ends in channelInactive or the timeout.
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            // 1xx (other than a protocol switch) precede the real response.
            if head.status.code >= 100 && head.status.code < 200 && head.status.code != 101 {
                return
            }
            if let declared = head.headers.first(name: "content-length"), let length = Int(declared),
                length > maxBodyBytes
            {
                finish(.failure(.bodyTooLarge(limit: maxBodyBytes)), context: context)
                return
            }
            responseHead = head
            responseBody = context.channel.allocator.buffer(capacity: 0)
        case .body(var part):
            guard responseHead != nil, var body = responseBody else {
                finish(.failure(.malformedResponse(reason: "body before the status line")), context: context)
                return
            }
            guard part.readableBytes <= maxBodyBytes - body.readableBytes else {
                finish(.failure(.bodyTooLarge(limit: maxBodyBytes)), context: context)
                return
            }
            responseBody = nil  // keep the buffer uniquely referenced while appending
            body.writeBuffer(&part)
            responseBody = body
        case .end:
            guard let head = responseHead else {
                finish(.failure(.malformedResponse(reason: "response ended without a status line")), context: context)
                return
            }
            let bytes = responseBody.map { Array($0.readableBytesView) } ?? []
            finish(.success(HTTPResponse(status: head.status, headers: head.headers, body: bytes)), context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError {
            finish(.failure(.malformedResponse(reason: "\(parserError)")), context: context)
        } else {
            finish(.failure(.io(reason: "\(error)")), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(.connectionClosed), context: context)
        context.fireChannelInactive()
    }

    private func finish(_ result: Result<HTTPResponse, HTTPClientError>, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        responseBody = nil
        switch result {
        case .success(let response): promise.succeed(response)
        case .failure(let error): promise.fail(error)
        }
        context.close(promise: nil)
    }
}
