/// Why `LoopState` refused an input. The message names the field and the value, because it
/// ends up in `finmon_last_error()` and then in a Python exception.
public enum LoopInputError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSuccessWindow(Int)
    case negativeIteration(Int)
    case iterationWentBackwards(iteration: Int, lastIteration: Int)
    case invalidExecutionSeconds(Double)
    case nonFiniteSharpe(Double)
    case nonFiniteMaxDrawdown(Double)

    public var description: String {
        switch self {
        case .invalidSuccessWindow(let window):
            return "success-rate window must be at least 1, got \(window)"
        case .negativeIteration(let iteration):
            return "iteration must be >= 0, got \(iteration)"
        case .iterationWentBackwards(let iteration, let last):
            return "iteration \(iteration) is before the last recorded iteration \(last)"
        case .invalidExecutionSeconds(let seconds):
            return "execution time must be a finite number of seconds >= 0, got \(seconds)"
        case .nonFiniteSharpe(let sharpe):
            return "sharpe ratio must be finite, got \(sharpe)"
        case .nonFiniteMaxDrawdown(let drawdown):
            return "max drawdown must be finite, got \(drawdown)"
        }
    }
}

/// The outcome side of the evolution loop: successes, failures, the latest Sharpe ratio and
/// drawdown, and the success rate over the last `successWindow` outcomes.
///
/// A value type with no locking and no metrics: the runtime owns one behind its lock, feeds
/// the values into the registry, and hands copies to the alert evaluator as snapshots.
///
/// Input rules (each violation throws `LoopInputError` and leaves the state untouched, so a
/// bad call from Python cannot half-apply):
/// - `iteration >= 0`, and not strictly before the last recorded iteration. An equal
///   iteration is accepted because one iteration of the loop may evaluate several
///   strategies, each reporting its own outcome.
/// - `executionSeconds` finite and >= 0.
/// - `sharpe` and `maxDrawdown` nil or finite. nil means "not measured" (typically a failed
///   backtest) and keeps the last measured value, as a gauge would. No sign is imposed on the
///   drawdown: strategies report it either as a negative return or as a positive loss.
public struct LoopState: Sendable, Equatable {
    public static let defaultSuccessWindow = 10

    /// How many of the latest outcomes `successRate` covers.
    public let successWindow: Int

    public private(set) var successes = 0
    public private(set) var failures = 0
    public private(set) var lastIteration: Int?
    public private(set) var lastSuccess: Bool?
    public private(set) var lastExecutionSeconds: Double?
    /// The last Sharpe ratio reported (nil reports skipped).
    public private(set) var lastSharpe: Double?
    /// The last max drawdown reported (nil reports skipped).
    public private(set) var lastMaxDrawdown: Double?

    private var window: RingBuffer<Bool>
    /// Successes currently inside `window`, kept so the rate is O(1) per record.
    private var windowSuccesses = 0

    /// - Throws: `LoopInputError.invalidSuccessWindow` if `successWindow < 1`.
    public init(successWindow: Int = LoopState.defaultSuccessWindow) throws(LoopInputError) {
        guard successWindow >= 1,
              let window = try? RingBuffer<Bool>(capacity: successWindow)
        else { throw .invalidSuccessWindow(successWindow) }
        self.successWindow = successWindow
        self.window = window
    }

    /// All outcomes recorded since the start (saturating, so it can never trap).
    public var outcomes: Int {
        let (sum, overflow) = successes.addingReportingOverflow(failures)
        return overflow ? .max : sum
    }

    /// Success fraction over the last `successWindow` outcomes; nil until that many have been
    /// recorded, so a "success rate below X" alert does not fire on the first failure.
    public var successRate: Double? {
        window.isFull ? Double(windowSuccesses) / Double(successWindow) : nil
    }

    /// Success fraction over the outcomes in the window so far: before the window fills,
    /// over everything recorded; afterwards equal to `successRate`. nil before the first
    /// outcome. Meant for the gauge, which should show something from the first iteration.
    public var successRateSoFar: Double? {
        window.isEmpty ? nil : Double(windowSuccesses) / Double(window.count)
    }

    /// Records one strategy outcome. See the type's documentation for the input rules.
    public mutating func record(
        iteration: Int,
        success: Bool,
        executionSeconds: Double,
        sharpe: Double?,
        maxDrawdown: Double?
    ) throws(LoopInputError) {
        let (outcome, refused) = usable(
            iteration: iteration, executionSeconds: executionSeconds, sharpe: sharpe, maxDrawdown: maxDrawdown)
        if let first = refused.first { throw first }
        record(outcome, success: success)
    }

    /// What of one outcome can be recorded: each value the rules refuse is left out
    /// (nil), with its error; an iteration before the last one is kept, as a restart.
    public func usable(
        iteration: Int, executionSeconds: Double, sharpe: Double?, maxDrawdown: Double?
    ) -> (LoopOutcome, [LoopInputError]) {
        var refused: [LoopInputError] = []
        var outcome = LoopOutcome()
        if iteration < 0 {
            refused.append(.negativeIteration(iteration))
        } else {
            if let lastIteration, iteration < lastIteration {
                refused.append(.iterationWentBackwards(iteration: iteration, lastIteration: lastIteration))
                outcome.restart = true
            }
            outcome.iteration = iteration
        }
        if executionSeconds.isFinite, executionSeconds >= 0 {
            outcome.executionSeconds = executionSeconds
        } else {
            refused.append(.invalidExecutionSeconds(executionSeconds))
        }
        if let sharpe {
            if sharpe.isFinite { outcome.sharpe = sharpe } else { refused.append(.nonFiniteSharpe(sharpe)) }
        }
        if let maxDrawdown {
            if maxDrawdown.isFinite { outcome.maxDrawdown = maxDrawdown } else { refused.append(.nonFiniteMaxDrawdown(maxDrawdown)) }
        }
        return (outcome, refused)
    }

    /// Records what `usable` kept; never fails. A restart empties the window first.
    public mutating func record(_ outcome: LoopOutcome, success: Bool) {
        if outcome.restart { restart() }
        if success {
            successes = Self.incremented(successes)
            windowSuccesses += 1
        } else {
            failures = Self.incremented(failures)
        }
        if window.append(success) == true { windowSuccesses -= 1 }
        if let iteration = outcome.iteration { lastIteration = iteration }
        lastSuccess = success
        if let seconds = outcome.executionSeconds { lastExecutionSeconds = seconds }
        if let sharpe = outcome.sharpe { lastSharpe = sharpe }
        if let maxDrawdown = outcome.maxDrawdown { lastMaxDrawdown = maxDrawdown }
    }

    /// A loop restart (its iteration numbers start over): the success window is emptied,
    /// so the rate covers the new run only and the alert waits for a full window again;
    /// the totals keep counting.
    public mutating func restart() {
        // The capacity was valid when the state was made, so this cannot fail.
        if let empty = try? RingBuffer<Bool>(capacity: successWindow) { window = empty }
        windowSuccesses = 0
        lastIteration = nil
    }

    private static func incremented(_ value: Int) -> Int {
        value == .max ? .max : value + 1
    }
}

/// The part of one outcome a hook can record; nil fields were refused (or not given).
public struct LoopOutcome: Sendable, Equatable {
    /// nil for a negative iteration: the outcome counts, the iteration gauge stays.
    public var iteration: Int?
    public var executionSeconds: Double?
    public var sharpe: Double?
    public var maxDrawdown: Double?
    /// The iteration is before the last one recorded: a loop restart.
    public var restart = false

    public init() {}
}
