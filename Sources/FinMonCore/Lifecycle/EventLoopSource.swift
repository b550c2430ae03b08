import NIOCore

/// Hands out an event loop that stays alive while the caller uses it.
///
/// The runtime's threads come and go (`MetricsCollector.stop()` shuts them down, the next use
/// starts new ones). Work scheduled on a loop that is already shut down is dropped with
/// an error print from NIO (and a promise made for it would never complete), so callers
/// schedule inside `body`, which the source runs while it guarantees the loop is live.
public protocol EventLoopSource: Sendable {
    /// Calls `body` with a live event loop; the loop is not shut down before `body`
    /// returns. `body` must only schedule work, never wait for it.
    func withEventLoop<Value: Sendable>(_ body: (any EventLoop) -> Value) -> Value
}
