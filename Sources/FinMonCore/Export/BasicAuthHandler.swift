import NIOCore
import NIOHTTP1

/// Lets a request through to the exporter's handler only with credentials the
/// `BasicAuthenticator` accepts; any other request is answered `401 Unauthorized` with
/// `WWW-Authenticate: Basic` (and counted through `onReject`), its body dropped.
///
/// Sits after the HTTP/1.1 codec and the deadline handler. NIO's server pipeline hands
/// it one request at a time (it holds pipelined ones until the response ends), so at most
/// one request waits here while bcrypt runs, and only its head is kept.
///
/// State: `.idle`, `.verifying(head, ended)` while bcrypt runs, `.passing` (the request's
/// parts go on), `.rejecting(head)` (parts dropped until its end, then the 401), `.closed`.
final class BasicAuthHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case verifying(HTTPRequestHead, ended: Bool)
        case passing
        case rejecting(HTTPRequestHead)
        case closed
    }

    private let authenticator: BasicAuthenticator
    private let onReject: @Sendable () -> Void
    private var state: State = .idle

    init(authenticator: BasicAuthenticator, onReject: @escaping @Sendable () -> Void) {
        self.authenticator = authenticator
        self.onReject = onReject
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.idle, .head(let head)):
            let authorization = head.headers.first(name: "Authorization")
            if let verdict = authenticator.cachedVerdict(authorization: authorization) {
                decided(verdict, head: head, ended: false, context: context)
                return
            }
            state = .verifying(head, ended: false)
            authenticator.verify(authorization: authorization, on: context.eventLoop)
                .assumeIsolated().whenSuccess { [self] verdict in
                    guard case .verifying(let head, let ended) = state else { return }  // closed meanwhile
                    decided(verdict, head: head, ended: ended, context: context)
                }
        case (.verifying(let head, _), .end):
            state = .verifying(head, ended: true)
        case (.passing, .end):
            state = .idle
            context.fireChannelRead(data)
        case (.passing, _):
            context.fireChannelRead(data)
        case (.rejecting(let head), .end):
            state = .idle
            reject(head, context: context)
        default:
            break  // a body while verifying or rejecting (GET bodies are ignored anyway), or after close
        }
    }

    private func decided(_ verdict: BasicAuthenticator.Verdict, head: HTTPRequestHead, ended: Bool,
                         context: ChannelHandlerContext) {
        if verdict == .allowed {
            state = ended ? .idle : .passing
            context.fireChannelRead(wrapInboundOut(.head(head)))
            if ended { context.fireChannelRead(wrapInboundOut(.end(nil))) }
        } else if ended {
            state = .idle
            reject(head, context: context)
        } else {
            state = .rejecting(head)
        }
    }

    private func reject(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        onReject()
        ExporterResponse.send(.unauthorized, contentType: "text/plain; charset=utf-8", body: Array("Unauthorized\n".utf8),
                              request: request, context: context,
                              extra: [("WWW-Authenticate", "Basic realm=\"finmon\", charset=\"UTF-8\"")])
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        state = .closed
    }
}
