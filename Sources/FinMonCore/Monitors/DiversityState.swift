/// Why `DiversityState` refused an input. The message names the field and the value, because
/// it ends up in `finmon_last_error()` and then in a Python exception.
public enum DiversityInputError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidHistoryCapacity(Int)
    case negativeIteration(Int)
    case iterationWentBackwards(iteration: Int, lastIteration: Int)
    case diversityOutOfRange(Double)
    case negativeCount(uniqueCount: Int, totalCount: Int)
    case uniqueExceedsTotal(uniqueCount: Int, totalCount: Int)
    case nonFiniteSharpe(Double)

    public var description: String {
        switch self {
        case .invalidHistoryCapacity(let capacity):
            return "diversity history size must be at least 1, got \(capacity)"
        case .negativeIteration(let iteration):
            return "iteration must be >= 0, got \(iteration)"
        case .iterationWentBackwards(let iteration, let last):
            return "iteration \(iteration) is before the last recorded iteration \(last)"
        case .diversityOutOfRange(let diversity):
            return "diversity must be a finite number in [0, 1], got \(diversity)"
        case .negativeCount(let unique, let total):
            return "counts must be >= 0, got unique_count=\(unique), total_count=\(total)"
        case .uniqueExceedsTotal(let unique, let total):
            return "unique_count (\(unique)) cannot exceed total_count (\(total))"
        case .nonFiniteSharpe(let sharpe):
            return "sharpe ratio must be finite, got \(sharpe)"
        }
    }
}

/// The DiversityMonitor's state: a bounded history of population diversity and the
/// champion's update record, from which staleness and diversity collapse are derived.
///
/// A value type with no locking and no metrics: the runtime owns one behind its lock, feeds
/// the values into the registry, and hands copies to the alert evaluator as snapshots.
///
/// Every `record...` call validates all of its input first and throws
/// `DiversityInputError` without changing anything, so a bad call cannot half-apply.
/// Iterations must be >= 0 and must not go strictly backwards; the diversity stream and the
/// champion stream are checked separately (each against its own last iteration), and an
/// equal iteration is accepted (a loop may report twice within one iteration).
public struct DiversityState: Sendable, Equatable {
    public static let defaultHistoryCapacity = 1000

    /// One `recordDiversity` call. A count is nil when the hook refused it (see `usable`).
    public struct Sample: Sendable, Equatable {
        public let iteration: Int
        public let diversity: Double
        public let uniqueCount: Int?
        public let totalCount: Int?

        /// `uniqueCount / totalCount`, or nil for an empty population (no meaningful ratio).
        public var uniqueFraction: Double? {
            guard let uniqueCount, let totalCount, totalCount > 0 else { return nil }
            return Double(uniqueCount) / Double(totalCount)
        }
    }

    /// The part of one `recordDiversity` call that can be recorded; nil fields were refused.
    public struct DiversityRecord: Sendable, Equatable {
        /// nil for a negative iteration: nothing goes into the history then.
        public var iteration: Int?
        public var diversity: Double?
        public var uniqueCount: Int?
        public var totalCount: Int?
        /// The iteration is before the last one recorded: a loop restart.
        public var restart = false
    }

    /// The part of one `recordChampionUpdate` call that can be recorded.
    public struct ChampionRecord: Sendable, Equatable {
        /// nil for a negative iteration: the update counts, staleness keeps its reference.
        public var iteration: Int?
        public var oldSharpe: Double?
        /// nil when not finite: the update counts, the champion's Sharpe ratio stays.
        public var newSharpe: Double?
        public var restart = false
    }

    /// The newest samples, oldest -> newest, at most `historyCapacity` of them.
    public private(set) var history: RingBuffer<Sample>
    /// Samples recorded since the start, including those the history has dropped (saturating).
    public private(set) var recordedCount = 0
    /// The iteration of the first diversity sample; the staleness reference before any
    /// champion update.
    public private(set) var firstIteration: Int?
    /// The iteration of the last diversity record (or of a restart): the next one may not be before it.
    public private(set) var lastDiversityIteration: Int?

    public private(set) var lastChampionUpdateIteration: Int?
    public private(set) var championUpdateCount = 0
    /// The Sharpe ratio of the current champion (`newSharpe` of the last update).
    public private(set) var championSharpe: Double?
    /// The `oldSharpe` given with the last update (nil if the caller had none).
    public private(set) var previousChampionSharpe: Double?

    /// - Parameter historyCapacity: samples kept (the config's history size). Any value >= 1
    ///   is accepted; a value below the collapse window makes `checkDiversityCollapse` always
    ///   false, which is for the config's validation to prevent.
    /// - Throws: `DiversityInputError.invalidHistoryCapacity` if `historyCapacity < 1`.
    public init(historyCapacity: Int = DiversityState.defaultHistoryCapacity) throws(DiversityInputError) {
        guard let history = try? RingBuffer<Sample>(capacity: historyCapacity) else {
            throw .invalidHistoryCapacity(historyCapacity)
        }
        self.history = history
    }

    public var historyCapacity: Int { history.capacity }
    public var latest: Sample? { history.newest }
    public var latestDiversity: Double? { history.newest?.diversity }
    var latestUniqueFraction: Double? { history.newest?.uniqueFraction }
    public var latestIteration: Int? { history.newest?.iteration }

    /// Records the population's diversity at `iteration`.
    /// - Parameters:
    ///   - diversity: finite, in [0, 1] (e.g. from `DiversityMath.compute`).
    ///   - uniqueCount: distinct strategies, 0...totalCount.
    ///   - totalCount: population size, >= 0.
    public mutating func recordDiversity(
        iteration: Int,
        diversity: Double,
        uniqueCount: Int,
        totalCount: Int
    ) throws(DiversityInputError) {
        let (usable, refused) = usable(iteration: iteration, diversity: diversity, uniqueCount: uniqueCount,
                                       totalCount: totalCount)
        if let first = refused.first { throw first }
        record(usable)
    }

    /// What of a diversity record can be kept: each refused value is left out (nil) with
    /// its error; an iteration before the last one is kept, as a restart.
    public func usable(
        iteration: Int, diversity: Double, uniqueCount: Int, totalCount: Int
    ) -> (DiversityRecord, [DiversityInputError]) {
        var refused: [DiversityInputError] = []
        var record = DiversityRecord()
        if iteration < 0 {
            refused.append(.negativeIteration(iteration))
        } else {
            if let last = lastDiversityIteration, iteration < last {
                refused.append(.iterationWentBackwards(iteration: iteration, lastIteration: last))
                record.restart = true
            }
            record.iteration = iteration
        }
        // `>= 0 && <= 1` is false for NaN, so NaN is refused here too.
        if diversity >= 0, diversity <= 1 { record.diversity = diversity } else { refused.append(.diversityOutOfRange(diversity)) }
        if uniqueCount < 0 || totalCount < 0 {
            refused.append(.negativeCount(uniqueCount: uniqueCount, totalCount: totalCount))
        } else if uniqueCount > totalCount {
            refused.append(.uniqueExceedsTotal(uniqueCount: uniqueCount, totalCount: totalCount))
        }
        if totalCount >= 0 { record.totalCount = totalCount }
        if uniqueCount >= 0, totalCount >= 0, uniqueCount <= totalCount { record.uniqueCount = uniqueCount }
        return (record, refused)
    }

    /// Records what `usable` kept; never fails. The history takes a sample when both the
    /// iteration and the diversity were kept.
    public mutating func record(_ record: DiversityRecord) {
        if record.restart, let iteration = record.iteration { restart(at: iteration) }
        guard let iteration = record.iteration, let diversity = record.diversity else { return }
        history.append(Sample(
            iteration: iteration, diversity: diversity, uniqueCount: record.uniqueCount, totalCount: record.totalCount))
        recordedCount = recordedCount == .max ? .max : recordedCount + 1
        lastDiversityIteration = iteration
        if firstIteration == nil { firstIteration = iteration }
    }

    /// Records that a new champion was crowned at `iteration`.
    /// - Parameters:
    ///   - oldSharpe: the previous champion's Sharpe ratio, nil for the first champion; finite.
    ///   - newSharpe: the new champion's Sharpe ratio; finite (NaN and infinities are
    ///     rejected: a backtest with zero volatility is a bug upstream, not a champion).
    public mutating func recordChampionUpdate(
        iteration: Int,
        oldSharpe: Double?,
        newSharpe: Double
    ) throws(DiversityInputError) {
        let (usable, refused) = usableChampion(iteration: iteration, oldSharpe: oldSharpe, newSharpe: newSharpe)
        if let first = refused.first { throw first }
        record(usable)
    }

    /// What of a champion update can be kept (see `usable` for the diversity stream).
    public func usableChampion(
        iteration: Int, oldSharpe: Double?, newSharpe: Double
    ) -> (ChampionRecord, [DiversityInputError]) {
        var refused: [DiversityInputError] = []
        var record = ChampionRecord()
        if iteration < 0 {
            refused.append(.negativeIteration(iteration))
        } else {
            if let last = lastChampionUpdateIteration, iteration < last {
                refused.append(.iterationWentBackwards(iteration: iteration, lastIteration: last))
                record.restart = true
            }
            record.iteration = iteration
        }
        if let oldSharpe {
            if oldSharpe.isFinite { record.oldSharpe = oldSharpe } else { refused.append(.nonFiniteSharpe(oldSharpe)) }
        }
        if newSharpe.isFinite { record.newSharpe = newSharpe } else { refused.append(.nonFiniteSharpe(newSharpe)) }
        return (record, refused)
    }

    /// Records what `usableChampion` kept; never fails.
    public mutating func record(_ record: ChampionRecord) {
        if record.restart, let iteration = record.iteration { restart(at: iteration) }
        if let iteration = record.iteration { lastChampionUpdateIteration = iteration }
        championUpdateCount = championUpdateCount == .max ? .max : championUpdateCount + 1
        if let newSharpe = record.newSharpe { championSharpe = newSharpe }
        previousChampionSharpe = record.oldSharpe
    }

    /// A loop restart at `iteration` (its numbers started over): staleness is measured from
    /// here (0 now, until the next champion update), and the next records may not be
    /// before it. The history, the champion's Sharpe ratio and the counts are kept.
    public mutating func restart(at iteration: Int) {
        if lastChampionUpdateIteration != nil { lastChampionUpdateIteration = iteration }
        if firstIteration != nil { firstIteration = iteration }
        if lastDiversityIteration != nil { lastDiversityIteration = iteration }
    }

    /// Iterations since `lastUpdateIteration`: `max(0, currentIteration - lastUpdateIteration)`,
    /// saturating at `Int.max` instead of overflowing.
    public static func calculateStaleness(currentIteration: Int, lastUpdateIteration: Int) -> Int {
        guard currentIteration > lastUpdateIteration else { return 0 }
        let (difference, overflow) = currentIteration.subtractingReportingOverflow(lastUpdateIteration)
        return overflow ? .max : difference
    }

    /// Champion staleness at `currentIteration`, measured from the last champion update; before
    /// any update, from the first diversity sample (the loop has been running that long without
    /// a champion); 0 if neither has been recorded yet.
    public func staleness(at currentIteration: Int) -> Int {
        guard let reference = lastChampionUpdateIteration ?? firstIteration else { return 0 }
        return Self.calculateStaleness(currentIteration: currentIteration, lastUpdateIteration: reference)
    }

    /// True when each of the last `window` diversity values is strictly below `threshold`.
    /// False when fewer than `window` values are held (including `window > historyCapacity`),
    /// when `window < 1` (a nonsensical window never alerts; the config rejects it earlier),
    /// and when `threshold` is NaN. O(window): reads only the newest values, newest first,
    /// and stops at the first value at or above the threshold.
    public func checkDiversityCollapse(window: Int = 5, threshold: Double = 0.1) -> Bool {
        guard window >= 1, history.count >= window else { return false }
        var offset = 0
        while offset < window {
            guard let sample = history.element(fromNewest: offset), sample.diversity < threshold else {
                return false
            }
            offset += 1
        }
        return true
    }

    /// The newest `min(n, held)` diversity values, oldest -> newest (for alert snapshots);
    /// empty for `n <= 0`.
    public func recentDiversity(_ n: Int) -> [Double] {
        history.last(n).map(\.diversity)
    }
}
