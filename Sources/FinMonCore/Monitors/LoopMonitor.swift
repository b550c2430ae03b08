import Synchronization

/// What the alert engine reads of the loop: a copy taken under the monitor's lock, so
/// every field belongs to the same moment.
public struct LoopSnapshot: Sendable, Equatable {
    /// Success fraction over the last `successWindow` outcomes; nil until the window is
    /// full, so a "success rate below X" rule does not fire on the first failure.
    public let successRate: Double?
    /// The gauge's value: the fraction over the outcomes in the window so far (nil before
    /// the first outcome).
    public let successRateSoFar: Double?
    public let successWindow: Int
    public let lastIteration: Int?
    public let successes: Int
    public let failures: Int
    public let lastSharpe: Double?
    public let lastMaxDrawdown: Double?
    public let lastExecutionSeconds: Double?
}

/// The loop's outcome hooks: one `recordIteration` call validates the outcome, folds it
/// into `LoopState` and updates every loop metric of the catalog.
///
/// The state and the metric writes happen under one lock, so two threads recording at once
/// cannot leave the gauges showing a mix of both outcomes, and a refused outcome (see
/// `LoopState` for the rules) changes neither the state nor any metric.
public final class LoopMonitor: Sendable {
    private let state: Mutex<LoopState>
    private let metrics: MetricsCatalog

    /// A monitor with the default window (`LoopState.defaultSuccessWindow`); change it with
    /// `configure(successWindow:)`.
    /// - Throws: `MetricsError` if a catalog family is not the unlabeled metric expected.
    public convenience init(catalog: MetricsCatalog) throws(MetricsError) {
        let initial: LoopState
        do {
            initial = try LoopState()
        } catch {
            // Unreachable with the default window; mapped so the runtime's init keeps one error type.
            throw .invalidValue(metric: catalog.strategySuccessRate.name, reason: error.description)
        }
        self.init(catalog: catalog, state: initial)
    }

    private init(catalog: MetricsCatalog, state initial: LoopState) {
        state = Mutex(initial)
        metrics = catalog
    }

    /// Sets the success-rate window. With a new size the rolling state starts over (the
    /// window, the last iteration and the totals of the snapshot); the registry's counters
    /// keep their values. Meant for start-up, when the config is applied; the same size
    /// again changes nothing.
    /// - Throws: `LoopInputError.invalidSuccessWindow` if `successWindow < 1`.
    public func configure(successWindow: Int) throws(LoopInputError) {
        let fresh = try LoopState(successWindow: successWindow)
        state.withLock { current in
            if current.successWindow != successWindow { current = fresh }
        }
    }

    public var successWindow: Int { state.withLock { $0.successWindow } }

    /// Records one strategy outcome and updates `execution_time_seconds`,
    /// `strategy_success_total` or `strategy_failure_total`, `strategy_success_rate`,
    /// `strategy_sharpe_ratio` and `strategy_max_drawdown` (when given) and `loop_iteration`.
    /// - Throws: `LoopInputError` (see `LoopState`); nothing changes then.
    public func recordIteration(
        iteration: Int,
        success: Bool,
        executionSeconds: Double,
        sharpe: Double? = nil,
        maxDrawdown: Double? = nil
    ) throws(LoopInputError) {
        try state.withLock { current throws(LoopInputError) in
            let (outcome, refused) = current.usable(
                iteration: iteration, executionSeconds: executionSeconds, sharpe: sharpe, maxDrawdown: maxDrawdown)
            if let first = refused.first { throw first }
            publish(outcome, success: success, &current)
        }
    }

    /// Records what it can of one outcome and returns what it refused (the hooks' policy:
    /// a bad value is skipped, never raised): a negative iteration counts the outcome
    /// without moving `loop_iteration`; an iteration before the last is a restart (see
    /// `LoopState.restart`); a refused time, Sharpe ratio or drawdown is not written.
    public func recordIterationSkippingRefused(
        iteration: Int, success: Bool, executionSeconds: Double, sharpe: Double?, maxDrawdown: Double?
    ) -> (LoopOutcome, [LoopInputError]) {
        state.withLock { current in
            let (outcome, refused) = current.usable(
                iteration: iteration, executionSeconds: executionSeconds, sharpe: sharpe, maxDrawdown: maxDrawdown)
            publish(outcome, success: success, &current)
            return (outcome, refused)
        }
    }

    /// A restart seen by another hook: the success window starts over (see `LoopState.restart`).
    public func restart() {
        state.withLock { $0.restart() }
    }

    /// Folds the outcome into the state and writes the metrics, under the lock.
    private func publish(_ outcome: LoopOutcome, success: Bool, _ current: inout LoopState) {
        current.record(outcome, success: success)
        // The writes cannot fail: the families' types are fixed by the catalog and the
        // values were checked (finite, not NaN).
        if let seconds = outcome.executionSeconds { metrics.executionTimeSeconds.observe(seconds) }
        (success ? metrics.strategySuccessTotal : metrics.strategyFailureTotal).inc()
        if let rate = current.successRateSoFar { metrics.strategySuccessRate.set(rate) }
        if let sharpe = outcome.sharpe { metrics.strategySharpeRatio.set(sharpe) }
        if let maxDrawdown = outcome.maxDrawdown { metrics.strategyMaxDrawdown.set(maxDrawdown) }
        if let iteration = outcome.iteration { metrics.loopIteration.set(Double(iteration)) }
    }

    /// Success fraction over the full window, nil until it is full (the alert's reading).
    public var successRate: Double? { state.withLock { $0.successRate } }

    public func snapshot() -> LoopSnapshot {
        state.withLock { current in
            LoopSnapshot(
                successRate: current.successRate,
                successRateSoFar: current.successRateSoFar,
                successWindow: current.successWindow,
                lastIteration: current.lastIteration,
                successes: current.successes,
                failures: current.failures,
                lastSharpe: current.lastSharpe,
                lastMaxDrawdown: current.lastMaxDrawdown,
                lastExecutionSeconds: current.lastExecutionSeconds
            )
        }
    }
}
