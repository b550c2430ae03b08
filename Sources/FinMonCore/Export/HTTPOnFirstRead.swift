import NIOCore
import NIOHTTP1

/// Installs the HTTP/1.1 codec when a connection's first bytes arrive, then steps aside.
///
/// A connection that never sends anything (the audit's thousands of idle connections, each
/// accepted only to be closed again for room) then costs the event loop no codec: their
/// buffers and four handlers were most of an accepted connection's price, and every
/// connection queued behind them, a scrape included, waited for it.
final class HTTPOnFirstRead: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try context.pipeline.syncOperations.configureHTTPServerPipeline(
                position: .after(self), withErrorHandling: true)
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
