import NIOCore

/// Orphans: exited sandbox containers carrying the label, found by a scan and removed by
/// a sweep. The public calls are for the host and block up to the request timeout; the
/// periodic cycle (`ContainerMonitor+Polling.swift`) uses `scan` and `remove` on the loop.
extension ContainerMonitor {
    /// Lists the labelled containers in an orphan state and sets orphaned_containers.
    /// Blocks up to the request timeout; call it off the event loop.
    public func scanOrphans() throws(ContainerMonitorError) -> [String] {
        try Self.wait(
            polling.withEventLoop { loop in
                loop.flatSubmit {
                    let (client, settings, epoch) = self.state.withLock { ($0.client(on: loop), $0.settings, $0.epoch) }
                    return self.scan(client, settings, epoch: epoch, countsError: true, on: loop).map { $0.map(\.id) }
                }
            })
    }

    /// Scans, then force-removes every orphan (tracked ones too: the caller asked) and
    /// returns how many were removed. Each removal counts in
    /// container_cleanup_success_total or _failure_total; one already gone counts in neither.
    public func cleanupOrphans() throws(ContainerMonitorError) -> Int {
        try Self.wait(
            polling.withEventLoop { loop in
                loop.flatSubmit {
                    let (client, settings, epoch) = self.state.withLock { ($0.client(on: loop), $0.settings, $0.epoch) }
                    return self.scan(client, settings, epoch: epoch, countsError: true, on: loop)
                        .flatMap { orphans in
                            self.remove(orphans, scanned: orphans.count, client: client, epoch: epoch, on: loop)
                        }
                        .map(\.removed)
                }
            })
    }

    /// Force-removes one container and records the cleanup: success when it is gone
    /// (removed now, or already), failure when the engine refused or could not be
    /// reached (then the error is thrown too). Its series go either way. Returns whether
    /// this call removed it. Blocks up to the request timeout.
    @discardableResult
    public func removeContainer(id: String) throws(ContainerMonitorError) -> Bool {
        try Self.validate(id)
        let outcome: Result<Bool, DockerError> = try Self.wait(
            polling.withEventLoop { loop in
                loop.flatSubmit {
                    let (client, epoch) = self.state.withLock { ($0.client(on: loop), $0.epoch) }
                    return client.remove(id: id, force: true).hop(to: loop)
                        .map { Result<Bool, DockerError>.success(true) }
                        .recover { error in
                            let dockerError = Self.dockerError(error)
                            if case .notFound = dockerError { return .success(false) }
                            if case .transport = dockerError {
                                self.noteFailure(dockerError, epoch: epoch, countsError: true)
                            }
                            return .failure(dockerError)
                        }
                }
            })
        let succeeded: Bool
        if case .success = outcome { succeeded = true } else { succeeded = false }
        state.withLock { state in
            state.tracking.untrack(id)
            (succeeded ? cleanupSuccess : cleanupFailure).inc()
        }
        return try outcome.mapError(ContainerMonitorError.docker).get()
    }

    func scan(
        _ client: DockerClient, _ settings: ContainerMonitorSettings, epoch: Generation, countsError: Bool,
        on loop: any EventLoop
    ) -> EventLoopFuture<[ContainerSummary]> {
        // Status is filtered here, not by the engine: podman 4 answers 500 to status=dead.
        client.listContainers(all: true, filters: ["label": [settings.label]]).hop(to: loop)
            .flatMapErrorThrowing { error in
                let dockerError = Self.dockerError(error)
                self.noteFailure(dockerError, epoch: epoch, countsError: countsError)
                throw dockerError
            }
            .map { list in
                let orphans = list.filter(settings.isOrphan)
                self.noteScan(orphans: orphans.count, epoch: epoch)
                return orphans
            }
    }

    struct RemovalSummary: Sendable {
        var removed = 0
        var failed = 0
    }

    func remove(
        _ containers: [ContainerSummary], scanned: Int, client: DockerClient, epoch: Generation, on loop: any EventLoop
    ) -> EventLoopFuture<RemovalSummary> {
        FutureWindow.run(containers, width: Self.removeWindow, on: loop) { container in
            client.remove(id: container.id, force: true).hop(to: loop)
                .map { Result<Void, DockerError>.success(()) }
                .recover { .failure(Self.dockerError($0)) }
        }.map { results in
            var summary = RemovalSummary()
            var gone = 0
            var events: [RuntimeEvent] = []
            self.state.withLock { state in
                guard state.epoch == epoch else { return }
                for (container, result) in zip(containers, results) {
                    switch result {
                    case .success(.success)?:
                        summary.removed += 1
                        self.cleanupSuccess.inc()
                    case .success(.failure(.notFound))?:
                        gone += 1
                    case .success(.failure(let error))?:
                        summary.failed += 1
                        self.cleanupFailure.inc()
                        if let event = state.health.failed(error, endpoint: state.settings.endpoint) {
                            events.append(event)
                        }
                        continue
                    case .failure, nil:
                        continue
                    }
                    state.tracking.untrack(namesOf: container)
                }
                let remaining = max(0, scanned - summary.removed - gone)
                state.orphanCount = remaining
                self.orphaned.set(Double(remaining))
            }
            for event in events { self.events.push(event) }
            return summary
        }
    }
}
