import NIOCore

/// Runs one asynchronous operation per item with at most `width` in flight, on one
/// event loop, and collects every outcome in item order.
///
/// A stats cycle over 1,000 sandboxes must not open 1,000 sockets to the engine at once
/// (file descriptors, the engine's own goroutines); a fixed window keeps both bounded
/// while still overlapping the engine's latency. `shouldContinue` is asked before each
/// start, so a caller can stop launching once the engine is known to be down; items
/// never started report `nil`. Call it on `loop`: the promise is completed there.
enum FutureWindow {
    static func run<Item: Sendable, Value: Sendable>(
        _ items: [Item],
        width: Int,
        on loop: any EventLoop,
        shouldContinue: @escaping @Sendable () -> Bool = { true },
        _ operation: @escaping @Sendable (Item) -> EventLoopFuture<Value>
    ) -> EventLoopFuture<[Result<Value, any Error>?]> {
        let promise = loop.makePromise(of: [Result<Value, any Error>?].self)
        let start: @Sendable () -> Void = {
            let state = NIOLoopBoundBox(
                Progress<Value>(results: Array(repeating: nil, count: items.count)), eventLoop: loop)
            let limit = max(1, width)

            @Sendable func pump() {
                while state.value.active < limit, state.value.next < items.count {
                    let index = state.value.next
                    state.value.next += 1
                    guard shouldContinue() else { continue }
                    state.value.active += 1
                    operation(items[index]).hop(to: loop).whenComplete { result in
                        state.value.results[index] = result
                        state.value.active -= 1
                        pump()
                    }
                }
                if state.value.active == 0, state.value.next >= items.count, !state.value.finished {
                    state.value.finished = true
                    promise.succeed(state.value.results)
                }
            }
            pump()
        }
        if loop.inEventLoop { start() } else { loop.execute(start) }
        return promise.futureResult
    }

    private struct Progress<Value> {
        var results: [Result<Value, any Error>?]
        var next = 0
        var active = 0
        var finished = false
    }
}
