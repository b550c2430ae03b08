import NIOCore
import NIOHTTP1

/// Serves the exposition at `metricsPath` (`/metrics` unless the config says otherwise),
/// `/healthz`, and with a `LivePage` the live page at `/` and its data at `/api/history`,
/// on one HTTP/1.1 connection (keep-alive is handled by NIO's server
/// pipeline; this handler answers one request at a time).
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: MetricsRegistry
    private let metricsPath: String
    private let page: LivePage?
    private var head: HTTPRequestHead?

    init(registry: MetricsRegistry, metricsPath: String = "/metrics", page: LivePage? = nil) {
        self.registry = registry
        self.metricsPath = metricsPath
        self.page = page
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
        case .body:
            break  // GET bodies are ignored
        case .end:
            guard let requestHead = head else { return }
            head = nil
            respond(to: requestHead, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let parts = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? request.uri
        let query = parts.count > 1 ? String(parts[1]) : nil
        guard request.method == .GET || request.method == .HEAD else {
            send(.methodNotAllowed, contentType: "text/plain; charset=utf-8",
                 body: Array("only GET and HEAD are served\n".utf8), request: request, context: context,
                 extra: [("Allow", "GET, HEAD")])
            return
        }
        switch path {
        case metricsPath:
            let format = ExpositionFormat.negotiate(accept: request.headers.first(name: "Accept"))
            let body = TextExposition.render(registry, format: format, includeAttached: true)
            if Gzip.accepted(by: request.headers.first(name: "Accept-Encoding")), let zipped = Gzip.compress(body) {
                send(.ok, contentType: format.contentType, body: zipped, request: request, context: context,
                     extra: [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")])
            } else {
                send(.ok, contentType: format.contentType, body: body, request: request, context: context,
                     extra: [("Vary", "Accept-Encoding")])
            }
        case "/healthz":
            send(.ok, contentType: "text/plain; charset=utf-8", body: Array("ok\n".utf8), request: request, context: context)
        case "/" where page != nil:
            guard let page else { return }
            if Gzip.accepted(by: request.headers.first(name: "Accept-Encoding")), let zipped = page.gzippedHTML {
                send(.ok, contentType: "text/html; charset=utf-8", body: zipped, request: request, context: context,
                     extra: [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")])
            } else {
                send(.ok, contentType: "text/html; charset=utf-8", body: page.html, request: request, context: context,
                     extra: [("Vary", "Accept-Encoding")])
            }
        case "/api/history" where page != nil:
            guard let page else { return }
            let body = page.historyJSON(query: query)
            let extra = [("Cache-Control", "no-store"), ("Vary", "Accept-Encoding")]
            if Gzip.accepted(by: request.headers.first(name: "Accept-Encoding")), let zipped = Gzip.compress(body) {
                send(.ok, contentType: "application/json", body: zipped, request: request, context: context,
                     extra: extra + [("Content-Encoding", "gzip")])
            } else {
                send(.ok, contentType: "application/json", body: body, request: request, context: context, extra: extra)
            }
        case "/":
            send(.ok, contentType: "text/plain; charset=utf-8",
                 body: Array("finmon exporter\n\(metricsPath)  Prometheus metrics\n/healthz  liveness\n".utf8),
                 request: request, context: context)
        default:
            send(.notFound, contentType: "text/plain; charset=utf-8", body: Array("not found; try \(metricsPath)\n".utf8),
                 request: request, context: context)
        }
    }

    private func send(
        _ status: HTTPResponseStatus, contentType: String, body: [UInt8], request: HTTPRequestHead,
        context: ChannelHandlerContext, extra: [(String, String)] = []
    ) {
        ExporterResponse.send(status, contentType: contentType, body: body, request: request, context: context, extra: extra)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
