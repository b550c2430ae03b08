/// The loop's hooks as every host calls them (the C ABI, so Python too), under the
/// hooks' policy (see `HookGuard`): a value a hook cannot use is skipped and counted, and
/// the rest is recorded; in strict mode the call is refused and nothing changes.
///
/// An iteration number below the last one a hook recorded is a loop restart (a loop that
/// was restarted numbers its iterations from 0 again): the success-rate window starts over
/// (the rate and the low_success_rate alert cover the new run only; the totals keep
/// counting), champion staleness counts from the restart iteration (0 then), and the
/// diversity history and the champion's Sharpe ratio are kept.
extension MetricsCollector {
    /// `record_iteration`: see `LoopMonitor.recordIterationSkippingRefused` for what is kept.
    /// - Throws: `LoopInputError` in strict mode only.
    public func recordIteration(
        iteration: Int, success: Bool, executionSeconds: Double, sharpe: Double?, maxDrawdown: Double?
    ) throws(LoopInputError) {
        guard !hooks.isStrict else {
            try loop.recordIteration(
                iteration: iteration, success: success, executionSeconds: executionSeconds,
                sharpe: sharpe, maxDrawdown: maxDrawdown)
            // Accepted, so the iteration is >= 0: staleness moves on iterations without diversity.
            try? diversity.observeIteration(iteration)
            return
        }
        let (outcome, refused) = loop.recordIterationSkippingRefused(
            iteration: iteration, success: success, executionSeconds: executionSeconds,
            sharpe: sharpe, maxDrawdown: maxDrawdown)
        if outcome.restart, let iteration = outcome.iteration {
            diversity.restart(at: iteration)
        } else if let iteration = outcome.iteration {
            try? diversity.observeIteration(iteration)
        }
        hooks.skipped(refused.map { rejection($0.reason, $0.description) }, by: "record_iteration")
    }

    /// `record_diversity`: see `DiversityMonitor.recordDiversitySkippingRefused`.
    /// - Throws: `DiversityInputError` in strict mode only.
    public func recordDiversity(iteration: Int, diversity value: Double, uniqueCount: Int, totalCount: Int)
        throws(DiversityInputError)
    {
        guard !hooks.isStrict else {
            try diversity.recordDiversity(
                iteration: iteration, diversity: value, uniqueCount: uniqueCount, totalCount: totalCount)
            return
        }
        let (record, refused) = diversity.recordDiversitySkippingRefused(
            iteration: iteration, diversity: value, uniqueCount: uniqueCount, totalCount: totalCount)
        if record.restart { loop.restart() }
        hooks.skipped(refused.map { rejection($0.reason, $0.description) }, by: "record_diversity")
    }

    /// `record_champion_update`: see `DiversityMonitor.recordChampionUpdateSkippingRefused`.
    /// - Throws: `DiversityInputError` in strict mode only.
    public func recordChampionUpdate(iteration: Int, oldSharpe: Double?, newSharpe: Double) throws(DiversityInputError) {
        guard !hooks.isStrict else {
            try diversity.recordChampionUpdate(iteration: iteration, oldSharpe: oldSharpe, newSharpe: newSharpe)
            return
        }
        let (record, refused) = diversity.recordChampionUpdateSkippingRefused(
            iteration: iteration, oldSharpe: oldSharpe, newSharpe: newSharpe)
        if record.restart { loop.restart() }
        hooks.skipped(refused.map { rejection($0.reason, $0.description) }, by: "record_champion_update")
    }

    /// `calculate_staleness`: a negative iteration is skipped (0 is returned, the gauge stays).
    /// - Throws: `DiversityInputError` in strict mode only.
    public func calculateStaleness(currentIteration: Int, lastUpdateIteration: Int) throws(DiversityInputError) -> Int {
        do {
            return try diversity.calculateStaleness(currentIteration: currentIteration, lastUpdateIteration: lastUpdateIteration)
        } catch {
            if hooks.isStrict { throw error }
            hooks.skipped([rejection(error.reason, error.description)], by: "calculate_staleness")
            return 0
        }
    }

    /// `record_container_created` / `_stats` / `_cleanup`: an id the engine could not know
    /// (empty, too long, control characters) is skipped and counted.
    /// - Throws: `ContainerMonitorError` for anything else, and for a bad id in strict mode.
    public func recordContainer(_ hook: ContainerHook, id: String) throws(ContainerMonitorError) {
        do {
            switch hook {
            case .created: try containers.recordCreated(id: id)
            case .stats: try containers.recordStats(id: id)
            case .cleanup(let success): try containers.recordCleanup(id: id, success: success)
            }
        } catch {
            guard case .invalidContainerID = error, !hooks.isStrict else { throw error }
            hooks.skipped([rejection("invalid_container_id", error.description)], by: hook.name)
        }
    }

    /// The container hooks, by the name their rejections are counted under.
    public enum ContainerHook: Sendable, Equatable {
        case created
        case stats
        case cleanup(success: Bool)

        public var name: String {
            switch self {
            case .created: "record_container_created"
            case .stats: "record_container_stats"
            case .cleanup: "record_container_cleanup"
            }
        }
    }

    private func rejection(_ reason: String, _ message: String) -> HookRejection {
        guard reason == "iteration_backwards" else {
            return HookRejection(reason: reason, message: "\(message); the value was skipped")
        }
        return HookRejection(reason: reason, message: "\(message): taken as a loop restart (the success window "
            + "starts over, champion staleness counts from the new iteration)")
    }
}
