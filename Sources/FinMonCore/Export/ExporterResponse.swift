import NIOCore
import NIOHTTP1

/// One whole HTTP/1.1 response written for a request: head, body (none for HEAD), end;
/// the connection closed once written when the request did not ask to keep it alive.
/// The exporter's handlers all answer this way (`MetricsHTTPHandler`, and
/// `BasicAuthHandler`'s 401), so keep-alive and HEAD behave the same on every path.
///
///     ExporterResponse.send(.notFound, contentType: "text/plain; charset=utf-8",
///                           body: Array("not found\n".utf8), request: head, context: context)
enum ExporterResponse {
    static func send(
        _ status: HTTPResponseStatus, contentType: String, body: [UInt8], request: HTTPRequestHead,
        context: ChannelHandlerContext, extra: [(String, String)] = []
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        for (name, value) in extra { headers.add(name: name, value: value) }
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        if request.method != .HEAD, !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
