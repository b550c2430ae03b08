import NIOCore
import Synchronization

/// One component's work on the library's event loop: a repeating schedule, a one-shot
/// timer and single runs, all under one `Generation`. `start`, `stop` and
/// `forgetAfterFork` move to a new generation, so whatever an older one left on the loop
/// (a tick, a timer, an answer on its way) finds itself stale and does nothing.
///
/// Every monitor gets its loop through one of these (the resource sampler, container
/// polling, alert evaluation and delivery), so each starts, stops and survives a fork in
/// the same way:
///
///     let job = EventLoopJob(threads: collector.threads)
///     job.start(every: .seconds(5)) { generation, loop in
///         guard job.isCurrent(generation) else { return }
///         sample()
///     }
///     job.stop()          // returns at once; a tick already running finishes as stale
///
/// Nothing here waits for the loop, and no lock is held while the loop is asked for.
public final class EventLoopJob: EventLoopSource {
    public typealias Body = @Sendable (_ generation: Generation, _ loop: any EventLoop) -> Void

    private struct State {
        var generation = Generation()
        var repeating: RepeatedTask?
        var interval: TimeAmount?
        var timer: Scheduled<Void>?
    }

    private let state = Mutex(State())
    private let threads: any EventLoopSource

    public init(threads: any EventLoopSource) {
        self.threads = threads
    }

    public var generation: Generation { state.withLock { $0.generation } }

    public func isCurrent(_ generation: Generation) -> Bool {
        state.withLock { $0.generation == generation }
    }

    /// Whether a repeating schedule runs.
    public var isRunning: Bool { state.withLock { $0.interval != nil } }

    /// The interval of the repeating schedule; nil while there is none.
    public var interval: TimeAmount? { state.withLock { $0.interval } }

    /// Runs `body` on the loop now and then every `interval` until `stop`, in a new
    /// generation: an earlier schedule and timer are cancelled. Returns the generation.
    @discardableResult
    public func start(every interval: TimeAmount, _ body: @escaping Body) -> Generation {
        let (generation, previous, timer) = state.withLock { Self.advance(&$0, interval: interval) }
        previous?.cancel()
        timer?.cancel()
        let task = threads.withEventLoop { loop in
            loop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { _ in body(generation, loop) }
        }
        // A stop or another start came in between: this schedule is already obsolete.
        let unwanted = state.withLock { state -> RepeatedTask? in
            guard state.generation == generation else { return task }
            state.repeating = task
            return nil
        }
        unwanted?.cancel()
        return generation
    }

    /// Runs `body` once on the loop, soon, if `generation` is still current then.
    public func execute(in generation: Generation, _ body: @escaping Body) {
        guard isCurrent(generation) else { return }
        threads.withEventLoop { loop in
            loop.execute { [weak self] in
                if self?.isCurrent(generation) == true { body(generation, loop) }
            }
        }
    }

    /// Runs `body` once on the loop after `delay`, if `generation` is still current then.
    /// Replaces the timer set before (one timer per job).
    public func schedule(in delay: TimeAmount, in generation: Generation, _ body: @escaping Body) {
        let previous = state.withLock { state -> Scheduled<Void>? in
            defer { state.timer = nil }
            return state.timer
        }
        previous?.cancel()
        guard isCurrent(generation) else { return }
        let timer = threads.withEventLoop { loop in
            loop.scheduleTask(in: delay) { [weak self] in
                if self?.isCurrent(generation) == true { body(generation, loop) }
            }
        }
        let unwanted = state.withLock { state -> Scheduled<Void>? in
            guard state.generation == generation, state.timer == nil else { return timer }
            state.timer = timer
            return nil
        }
        unwanted?.cancel()
    }

    /// Cancels the pending timer, if any; the generation stays.
    public func cancelTimer() {
        let timer = state.withLock { state -> Scheduled<Void>? in
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
    }

    /// Cancels the schedule and the timer and moves to a new generation; returns at once
    /// (work already running on the loop finishes as stale). Returns the new generation.
    @discardableResult
    public func stop() -> Generation {
        let (generation, repeating, timer) = state.withLock { Self.advance(&$0, interval: nil) }
        repeating?.cancel()
        timer?.cancel()
        return generation
    }

    /// In a forked child the parent's loop does not run: forget the schedule and the timer
    /// without cancelling them there (that would post to a loop no thread serves), and
    /// move to a new generation.
    public func forgetAfterFork() {
        _ = state.withLock { Self.advance(&$0, interval: nil) }
    }

    /// Moves to a new generation with `interval` (nil: no schedule) and takes the
    /// schedule and timer out, for the caller to cancel (or, after a fork, to drop).
    private static func advance(
        _ state: inout State, interval: TimeAmount?
    ) -> (Generation, RepeatedTask?, Scheduled<Void>?) {
        defer {
            state.repeating = nil
            state.timer = nil
            state.interval = interval
        }
        return (state.generation.advance(), state.repeating, state.timer)
    }

    /// The library's event loop, for work that is not a schedule (a request, say).
    public func withEventLoop<Value: Sendable>(_ body: (any EventLoop) -> Value) -> Value {
        threads.withEventLoop(body)
    }
}
