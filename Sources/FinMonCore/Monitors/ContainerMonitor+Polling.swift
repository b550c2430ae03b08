import NIOCore

/// Stats polling: every interval, one cycle scans for orphans (auto-cleaning them when
/// the config asks), then queries the stats of every tracked container, a window at a
/// time, on the library's loop.
extension ContainerMonitor {
    /// Queries every tracked container and scans for orphans now and then every
    /// `intervalSeconds`, replacing any earlier schedule. A cycle still running when the
    /// next is due makes that one skip, so a slow engine is not queried twice over.
    public func startPolling(intervalSeconds: Double) throws(ContainerMonitorError) {
        guard intervalSeconds.isFinite, intervalSeconds >= 0.01, intervalSeconds <= 86_400 else {
            throw .invalidSettings(reason: "polling interval must be in [0.01, 86400] seconds, got \(intervalSeconds)")
        }
        polling.start(every: .nanoseconds(Int64(intervalSeconds * 1_000_000_000))) { generation, loop in
            self.runCycle(generation, on: loop)
        }
    }

    public func stopPolling() {
        polling.stop()
    }

    private struct CycleStart: Sendable {
        let epoch: Generation
        let settings: ContainerMonitorSettings
        let client: DockerClient
    }

    private func runCycle(_ generation: Generation, on loop: any EventLoop) {
        let start = state.withLock { state -> CycleStart? in
            guard polling.isCurrent(generation), !state.cycleRunning else { return nil }
            state.cycleRunning = true
            return CycleStart(epoch: state.epoch, settings: state.settings, client: state.client(on: loop))
        }
        guard let start else { return }
        let began = NIODeadline.now()
        let failures = NIOLoopBoundBox(0, eventLoop: loop)
        let queried = NIOLoopBoundBox(0, eventLoop: loop)

        scan(start.client, start.settings, epoch: start.epoch, countsError: false, on: loop)
            .flatMap { orphans -> EventLoopFuture<Void> in
                self.autoClean(orphans, start, on: loop).map { failed in failures.value += failed }
            }
            .flatMap { () -> EventLoopFuture<Void> in
                self.pollStats(start, on: loop).map { counts in
                    queried.value = counts.queried
                    failures.value += counts.failed
                }
            }
            .whenComplete { result in
                if case .failure = result { failures.value += 1 }
                let seconds = Double((NIODeadline.now() - began).nanoseconds) / 1e9
                self.state.withLock { state in
                    guard state.epoch == start.epoch else { return }
                    state.cycleRunning = false
                    state.cyclesCompleted &+= 1
                    state.lastCycleSeconds = seconds
                    state.lastCycleContainers = queried.value
                    self.cycleSeconds.set(seconds)
                    if failures.value > 0 { state.health.countError() }
                }
            }
    }

    /// Auto cleanup of a periodic scan: once `orphanThreshold` orphans are found, removes
    /// those this monitor does not track (a tracked container is the loop's, which may
    /// still read its logs) and that the previous scan found too, so the orphan count, and
    /// the alert on it, stay visible for one polling interval before the cleanup.
    /// Returns the failed removals.
    private func autoClean(
        _ orphans: [ContainerSummary], _ start: CycleStart, on loop: any EventLoop
    ) -> EventLoopFuture<Int> {
        let seenBefore = state.withLock { state in
            defer { state.orphansSeen = Set(orphans.map(\.id)) }
            return state.orphansSeen
        }
        guard start.settings.autoCleanup, orphans.count >= start.settings.orphanThreshold else {
            return loop.makeSucceededFuture(0)
        }
        let removable = state.withLock { state in
            orphans.filter { seenBefore.contains($0.id) && !state.tracking.tracks($0) }
        }
        return remove(removable, scanned: orphans.count, client: start.client, epoch: start.epoch, on: loop)
            .map { summary in
                self.state.withLock { state in
                    if state.epoch == start.epoch { state.autoRemoved &+= UInt64(summary.removed) }
                }
                return summary.failed
            }
    }

    private struct StatsCounts: Sendable {
        var queried = 0
        var failed = 0
    }

    private func pollStats(_ start: CycleStart, on loop: any EventLoop) -> EventLoopFuture<StatsCounts> {
        let queries = state.withLock { state -> [Query] in
            guard state.epoch == start.epoch else { return [] }
            return state.tracking.claimAll().map { Query(id: $0.id, token: $0.token, epoch: start.epoch) }
        }
        // Once the engine is unreachable the rest would only wait out their own timeouts.
        let unreachable = NIOLoopBoundBox(false, eventLoop: loop)
        return FutureWindow.run(
            queries, width: Self.statsWindow, on: loop,
            shouldContinue: { !unreachable.value && self.isCurrent(epoch: start.epoch) }
        ) { query in
            start.client.stats(id: query.id).hop(to: loop)
                .map { Result<ContainerStatsSample, any Error>.success($0) }
                .recover { .failure($0) }
                .map { result in
                    let outcome = self.finish(query, result, countsError: false)
                    if case .failed(.transport) = outcome { unreachable.value = true }
                    return outcome
                }
        }.map { results in
            var counts = StatsCounts()
            // Queries never started were claimed; release them.
            let skipped = zip(queries, results).filter { $0.1 == nil }.map(\.0.id)
            if !skipped.isEmpty {
                self.state.withLock { state in
                    if state.epoch == start.epoch { state.tracking.release(skipped) }
                }
            }
            for case .success(let outcome)? in results {
                counts.queried += 1
                if case .failed = outcome { counts.failed += 1 }
            }
            return counts
        }
    }
}
