import Synchronization

/// A value a loop hook could not use: the `reason` label it is counted under and the message.
public struct HookRejection: Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public let message: String

    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}

/// "Hooks never stop the loop": a value a hook cannot use is skipped (the hook records
/// what it can), counted in `finmon_rejected_values_total{hook,reason}`, and logged as a
/// warning once per hook and reason, then at most once a minute with the count since.
/// In strict mode (for tests) the hooks refuse such a call instead, changing nothing.
public final class HookGuard: Sendable {
    /// Seconds between two warnings for one hook and reason.
    public static let warningIntervalSeconds = 60.0

    private struct Latch {
        var lastWarning: Double
        var unwarned: Int
    }

    private let counter: LabeledMetric<Counter>
    private let events: EventQueue
    private let strict = Atomic<Bool>(false)
    private let latches = Mutex<[String: Latch]>([:])

    public init(counter: LabeledMetric<Counter>, events: EventQueue) {
        self.counter = counter
        self.events = events
    }

    /// True when hooks refuse bad values (`monitoring.strict`, `MetricsCollector(strict=True)`).
    public var isStrict: Bool {
        get { strict.load(ordering: .relaxed) }
        set { strict.store(newValue, ordering: .relaxed) }
    }

    /// Counts and reports what `hook` skipped.
    public func skipped(_ rejections: [HookRejection], by hook: String, now: Double = AlertTime.now().monotonicSeconds) {
        for rejection in rejections {
            // Label values are the hook's and reason's names: always valid, never too long.
            counter.child([hook, rejection.reason]).inc()
            guard let unwarned = dueWarning(key: "\(hook)/\(rejection.reason)", now: now) else { continue }
            let since = unwarned > 0 ? " (\(unwarned) more since the last warning)" : ""
            events.push(RuntimeEvent(
                level: .warning,
                message: "finmon \(hook): \(rejection.message); counted in finmon_rejected_values_total"
                    + "{hook=\"\(hook)\",reason=\"\(rejection.reason)\"}\(since); "
                    + "the next such warning comes at most a minute from now"))
        }
    }

    /// The number of occurrences not warned about when a warning is due now, else nil.
    private func dueWarning(key: String, now: Double) -> Int? {
        latches.withLock { latches in
            guard var latch = latches[key] else {
                latches[key] = Latch(lastWarning: now, unwarned: 0)
                return 0
            }
            guard now - latch.lastWarning >= Self.warningIntervalSeconds else {
                latch.unwarned &+= 1
                latches[key] = latch
                return nil
            }
            let unwarned = latch.unwarned
            latches[key] = Latch(lastWarning: now, unwarned: 0)
            return unwarned
        }
    }
}

extension LoopInputError {
    /// The `reason` label of `finmon_rejected_values_total`.
    public var reason: String {
        switch self {
        case .invalidSuccessWindow: "invalid_success_window"
        case .negativeIteration: "negative_iteration"
        case .iterationWentBackwards: "iteration_backwards"
        case .invalidExecutionSeconds: "invalid_execution_time"
        case .nonFiniteSharpe: "non_finite_sharpe"
        case .nonFiniteMaxDrawdown: "non_finite_max_drawdown"
        }
    }
}

extension DiversityInputError {
    /// The `reason` label of `finmon_rejected_values_total`.
    public var reason: String {
        switch self {
        case .invalidHistoryCapacity: "invalid_history_size"
        case .negativeIteration: "negative_iteration"
        case .iterationWentBackwards: "iteration_backwards"
        case .diversityOutOfRange: "diversity_out_of_range"
        case .negativeCount: "negative_count"
        case .uniqueExceedsTotal: "unique_above_total"
        case .nonFiniteSharpe: "non_finite_sharpe"
        }
    }
}
