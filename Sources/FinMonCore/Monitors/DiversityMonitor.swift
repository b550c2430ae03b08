import Synchronization

/// What the alert engine reads of the population and the champion: a copy taken under the
/// monitor's lock, so every field belongs to the same moment.
public struct DiversitySnapshot: Sendable, Equatable {
    /// The newest diversity values, oldest -> newest; at most the `recent` asked for.
    public let recentDiversity: [Double]
    public let latestDiversity: Double?
    public let latestUniqueCount: Int?
    public let latestTotalCount: Int?
    /// Diversity samples recorded since the start, including those the history dropped.
    public let recordedCount: Int
    /// The newest iteration the monitor has seen on any stream (diversity, champion, loop).
    public let currentIteration: Int?
    public let lastChampionUpdateIteration: Int?
    /// `champion_staleness_iterations`: iterations from the last champion update (before
    /// any, from the first iteration seen) to `currentIteration`; nil before any iteration.
    public let iterationsSinceChampionUpdate: Int?
    public let championUpdateCount: Int
    public let championSharpe: Double?
}

/// The original design's DiversityMonitor: population diversity, the champion's updates,
/// staleness and collapse detection, over `DiversityState`, with the catalog's metrics
/// updated on every record.
///
/// Staleness needs the loop's current iteration, which the diversity stream alone may not
/// carry (a loop can record diversity every tenth iteration), so `observeIteration` lets
/// the loop hook move it forward; the monitor keeps the newest iteration seen on any stream.
/// State and metric writes happen under one lock, so concurrent records cannot interleave
/// the gauges, and a refused record (see `DiversityState` for the rules) changes nothing.
public final class DiversityMonitor: Sendable {
    /// Every champion update with its time, iteration and Sharpe ratio (bounded): the
    /// champion's history on the live page and in the report.
    public let champions = ChampionLog()

    private struct Inner {
        var diversity: DiversityState
        /// The oldest iteration seen on any stream: the staleness reference before any
        /// champion exists.
        var firstIteration: Int?
        /// The newest iteration seen on any stream.
        var currentIteration: Int?
        /// The diversity_collapse window: `population_diversity_window_max` covers this
        /// many of the newest values.
        var collapseWindow = 5

        mutating func restart(at iteration: Int) {
            diversity.restart(at: iteration)
            if firstIteration != nil { firstIteration = iteration }
            currentIteration = iteration
        }

        mutating func note(_ iteration: Int) {
            firstIteration = min(firstIteration ?? iteration, iteration)
            currentIteration = max(currentIteration ?? iteration, iteration)
        }

        var staleness: Int? {
            guard let currentIteration,
                  let reference = diversity.lastChampionUpdateIteration ?? firstIteration
            else { return nil }
            return DiversityState.calculateStaleness(currentIteration: currentIteration, lastUpdateIteration: reference)
        }
    }

    private let inner: Mutex<Inner>
    private let metrics: MetricsCatalog

    /// A monitor keeping `DiversityState.defaultHistoryCapacity` samples; change it with
    /// `configure(historySize:)`.
    /// - Throws: `MetricsError` if a catalog family is not the unlabeled metric expected.
    public convenience init(catalog: MetricsCatalog) throws(MetricsError) {
        let initial: DiversityState
        do {
            initial = try DiversityState()
        } catch {
            // Unreachable with the default size; mapped so the runtime's init keeps one error type.
            throw .invalidValue(metric: catalog.populationDiversity.name, reason: error.description)
        }
        self.init(catalog: catalog, state: initial)
    }

    private init(catalog: MetricsCatalog, state: DiversityState) {
        inner = Mutex(Inner(diversity: state))
        metrics = catalog
        catalog.populationDiversityWindowMax.set(.nan)
    }

    /// Sets how many diversity samples are kept. With a new size the state starts over
    /// (history, champion record, iterations seen); the registry's metrics keep their
    /// values. Meant for start-up, when the config is applied; the same size changes nothing.
    /// - Throws: `DiversityInputError.invalidHistoryCapacity` if `historySize < 1`.
    public func configure(historySize: Int) throws(DiversityInputError) {
        let fresh = try DiversityState(historyCapacity: historySize)
        inner.withLock { inner in
            guard inner.diversity.historyCapacity != historySize else { return }
            var replaced = Inner(diversity: fresh)
            replaced.collapseWindow = min(inner.collapseWindow, historySize)
            inner = replaced
            publishWindowMax(inner)
        }
    }

    public var historySize: Int { inner.withLock { $0.diversity.historyCapacity } }

    /// Sets the diversity_collapse window that `population_diversity_window_max` covers
    /// (clamped to 1...history size), so Prometheus' rule counts iterations as finmon does.
    public func configure(collapseWindow: Int) {
        inner.withLock { inner in
            inner.collapseWindow = min(max(collapseWindow, 1), inner.diversity.historyCapacity)
            publishWindowMax(inner)
        }
    }

    /// Records the population's diversity and updates `population_diversity`,
    /// `unique_strategy_count`, `population_size` and `champion_staleness_iterations`.
    /// - Throws: `DiversityInputError` (see `DiversityState.recordDiversity`); nothing changes then.
    public func recordDiversity(
        iteration: Int, diversity: Double, uniqueCount: Int, totalCount: Int
    ) throws(DiversityInputError) {
        try inner.withLock { inner throws(DiversityInputError) in
            let (record, refused) = inner.diversity.usable(
                iteration: iteration, diversity: diversity, uniqueCount: uniqueCount, totalCount: totalCount)
            if let first = refused.first { throw first }
            publish(record, &inner)
        }
    }

    /// Records what it can of a diversity record and returns what it refused (the hooks'
    /// policy): a refused diversity is not written, refused counts leave their gauges, an
    /// iteration before the last is a restart (see `restart(at:)`).
    public func recordDiversitySkippingRefused(
        iteration: Int, diversity: Double, uniqueCount: Int, totalCount: Int
    ) -> (DiversityState.DiversityRecord, [DiversityInputError]) {
        inner.withLock { inner in
            let (record, refused) = inner.diversity.usable(
                iteration: iteration, diversity: diversity, uniqueCount: uniqueCount, totalCount: totalCount)
            publish(record, &inner)
            return (record, refused)
        }
    }

    private func publish(_ record: DiversityState.DiversityRecord, _ inner: inout Inner) {
        if record.restart, let iteration = record.iteration { inner.restart(at: iteration) }
        inner.diversity.record(record)
        if let iteration = record.iteration { inner.note(iteration) }
        if let diversity = record.diversity { metrics.populationDiversity.set(diversity) }
        if let unique = record.uniqueCount { metrics.uniqueStrategyCount.set(Double(unique)) }
        if let total = record.totalCount { metrics.populationSize.set(Double(total)) }
        publishStaleness(inner)
        publishWindowMax(inner)
    }

    /// Records a new champion and updates `champion_updates_total`, `champion_sharpe_ratio`
    /// and `champion_staleness_iterations` (0 unless later iterations were already seen).
    /// - Parameter oldSharpe: the previous champion's Sharpe ratio; nil for the first champion.
    /// - Throws: `DiversityInputError` (see `DiversityState.recordChampionUpdate`); nothing changes then.
    public func recordChampionUpdate(iteration: Int, oldSharpe: Double?, newSharpe: Double) throws(DiversityInputError) {
        try inner.withLock { inner throws(DiversityInputError) in
            let (record, refused) = inner.diversity.usableChampion(
                iteration: iteration, oldSharpe: oldSharpe, newSharpe: newSharpe)
            if let first = refused.first { throw first }
            publish(record, &inner)
        }
    }

    /// Records what it can of a champion update and returns what it refused (the hooks'
    /// policy): the update counts; a refused new Sharpe ratio leaves `champion_sharpe_ratio`,
    /// a refused old one is read as "no previous champion", a negative iteration leaves the
    /// staleness reference, an iteration before the last is a restart.
    public func recordChampionUpdateSkippingRefused(
        iteration: Int, oldSharpe: Double?, newSharpe: Double
    ) -> (DiversityState.ChampionRecord, [DiversityInputError]) {
        inner.withLock { inner in
            let (record, refused) = inner.diversity.usableChampion(
                iteration: iteration, oldSharpe: oldSharpe, newSharpe: newSharpe)
            publish(record, &inner)
            return (record, refused)
        }
    }

    private func publish(_ record: DiversityState.ChampionRecord, _ inner: inout Inner) {
        if record.restart, let iteration = record.iteration { inner.restart(at: iteration) }
        inner.diversity.record(record)
        if let iteration = record.iteration { inner.note(iteration) }
        metrics.championUpdatesTotal.inc()
        if let sharpe = record.newSharpe { metrics.championSharpeRatio.set(sharpe) }
        champions.record(iteration: record.iteration ?? inner.currentIteration, sharpe: record.newSharpe)
        publishStaleness(inner)
    }

    /// A loop restart at `iteration`, seen by this or another hook: staleness counts from
    /// here (0 now), and records from `iteration` on are accepted again.
    public func restart(at iteration: Int) {
        inner.withLock { inner in
            inner.restart(at: iteration)
            publishStaleness(inner)
        }
    }

    /// Tells the monitor the loop reached `iteration` (the loop hook calls it on every
    /// recorded outcome), so `champion_staleness_iterations` grows while the champion stays.
    /// An iteration older than one already seen is accepted and changes nothing.
    /// - Throws: `DiversityInputError.negativeIteration`.
    public func observeIteration(_ iteration: Int) throws(DiversityInputError) {
        guard iteration >= 0 else { throw .negativeIteration(iteration) }
        inner.withLock { inner in
            inner.note(iteration)
            publishStaleness(inner)
        }
    }

    /// The original design's `calculate_staleness`: `max(0, current - lastUpdate)`
    /// (saturating), also written to `champion_staleness_iterations` so a loop that tracks
    /// its champion itself can export the figure.
    /// - Throws: `DiversityInputError.negativeIteration` for a negative iteration; nothing changes then.
    @discardableResult
    public func calculateStaleness(currentIteration: Int, lastUpdateIteration: Int) throws(DiversityInputError) -> Int {
        guard currentIteration >= 0 else { throw .negativeIteration(currentIteration) }
        guard lastUpdateIteration >= 0 else { throw .negativeIteration(lastUpdateIteration) }
        let staleness = DiversityState.calculateStaleness(
            currentIteration: currentIteration, lastUpdateIteration: lastUpdateIteration
        )
        inner.withLock { _ in metrics.championStalenessIterations.set(Double(staleness)) }
        return staleness
    }

    /// True when each of the last `window` diversity values is below `threshold` (see
    /// `DiversityState.checkDiversityCollapse`). O(window), whatever the history size.
    public func checkDiversityCollapse(window: Int = 5, threshold: Double = 0.1) -> Bool {
        inner.withLock { $0.diversity.checkDiversityCollapse(window: window, threshold: threshold) }
    }

    /// The current staleness (see `DiversitySnapshot.iterationsSinceChampionUpdate`).
    public var staleness: Int? { inner.withLock { $0.staleness } }

    /// - Parameter recent: how many of the newest diversity values to copy (O(recent)).
    public func snapshot(recent: Int = 5) -> DiversitySnapshot {
        inner.withLock { inner in
            let state = inner.diversity
            return DiversitySnapshot(
                recentDiversity: state.history.last(recent).map(\.diversity),
                latestDiversity: state.latestDiversity,
                latestUniqueCount: state.latest?.uniqueCount,
                latestTotalCount: state.latest?.totalCount,
                recordedCount: state.recordedCount,
                currentIteration: inner.currentIteration,
                lastChampionUpdateIteration: state.lastChampionUpdateIteration,
                iterationsSinceChampionUpdate: inner.staleness,
                championUpdateCount: state.championUpdateCount,
                championSharpe: state.championSharpe
            )
        }
    }

    /// The highest of the last `collapseWindow` values, NaN until there are that many: the
    /// in-process collapse rule's reading, for Prometheus.
    private func publishWindowMax(_ inner: Inner) {
        let recent = inner.diversity.recentDiversity(inner.collapseWindow)
        let highest = recent.count == inner.collapseWindow ? recent.max() ?? .nan : .nan
        metrics.populationDiversityWindowMax.set(highest)
    }

    /// Called under the lock, so the gauge shows the staleness of the state just written.
    private func publishStaleness(_ inner: Inner) {
        if let staleness = inner.staleness { metrics.championStalenessIterations.set(Double(staleness)) }
    }
}
