import NIOCore
import Synchronization

/// The original design's ContainerMonitor: sandbox containers' CPU and memory, active and
/// orphaned counts, cleanup outcomes, over the Docker Engine API on the runtime's loop.
///
/// Hooks never wait for the engine. `recordCreated`/`recordStats` note the container and
/// schedule one stats query on the loop; `recordCleanup` is local. Polling queries every
/// tracked container each interval and scans for orphans. A query that times out or
/// fails leaves the last values exported, counts one collection error, and logs one
/// warning until the engine answers again. Series hygiene: a container's series and
/// calculator state go when it is cleaned up, removed as an orphan, or found gone.
public final class ContainerMonitor: Sendable {
    /// Stats queries one polling cycle keeps in flight.
    public static let statsWindow = 16
    /// Removals one cleanup keeps in flight.
    public static let removeWindow = 8
    /// Hook queries in flight at most: a loop calling hooks faster than a stalled engine
    /// times them out must not pile up sockets. Past it, a hook's query is skipped.
    public static let maxQueriesInFlight = 256
    public static let maxContainerIDBytes = 128

    private struct Polling: Sendable {
        /// nil for the moment between deciding to poll and the task being scheduled:
        /// the first cycle may already run then, and must find its token current.
        var task: RepeatedTask?
        let interval: TimeAmount
        let token: UInt64
    }

    /// One stats query's identity: the container, the tracking it belongs to (a
    /// cleaned-up container's late answer must not bring its series back) and the
    /// runtime epoch (answers arriving after `stop()` are dropped).
    private struct Query: Sendable {
        let id: String
        let token: UInt64
        let epoch: UInt64
    }

    private enum Outcome: Sendable {
        case sampled, gone, notRunning, ignored
        case failed(DockerError)
    }

    private struct State {
        var settings: ContainerMonitorSettings
        var client: DockerClient?
        var clientLoop: (any EventLoop)?
        /// Container id -> the token of its current tracking.
        var tracked: [String: UInt64] = [:]
        var nextToken: UInt64 = 0
        var querying: Set<String> = []
        var calculator = ContainerStatsCalculator()
        var engineFailing = false
        var lastError: String?
        var errors: UInt64 = 0
        var polling: Polling?
        var epoch: UInt64 = 0
        var cycleRunning = false
        var cyclesCompleted: UInt64 = 0
        var lastCycleSeconds: Double?
        var lastCycleContainers = 0
        var orphanCount: Int?
        var autoRemoved: UInt64 = 0
        /// Orphan ids the previous periodic scan found (see `autoClean`).
        var orphansSeen: Set<String> = []

        mutating func freshToken() -> UInt64 {
            nextToken &+= 1
            return nextToken
        }

        mutating func client(on loop: any EventLoop) -> DockerClient {
            if let client, let clientLoop, clientLoop === loop { return client }
            let created = DockerClient(
                httpClient: HTTPClient(eventLoopGroup: loop), endpoint: settings.endpoint,
                timeout: settings.requestTimeout)
            client = created
            clientLoop = loop
            return created
        }
    }

    private let state: Mutex<State>
    private let events: EventQueue
    private let memoryUsage: MetricFamily
    private let cpuUsage: MetricFamily
    private let active: Series
    private let orphaned: Series
    private let cleanupSuccess: Series
    private let cleanupFailure: Series
    private let collectionErrors: Series
    private let cycleSeconds: Series

    /// A monitor on the engine DOCKER_HOST names (else /var/run/docker.sock) with the
    /// documented defaults, until `configure` says otherwise.
    public init(catalog: MetricsCatalog, events: EventQueue) throws(MetricsError) {
        let endpoint =
            (try? DockerClient.resolveEndpoint(configured: nil, dockerHost: DockerClient.dockerHostFromEnvironment()))
            ?? .unix(path: DockerClient.defaultSocketPath)
        state = Mutex(State(settings: .defaults(endpoint: endpoint)))
        self.events = events
        memoryUsage = catalog.containerMemoryUsageBytes
        cpuUsage = catalog.containerCPUUsagePercent
        active = try catalog.activeContainers.labels([])
        orphaned = try catalog.orphanedContainers.labels([])
        cleanupSuccess = try catalog.containerCleanupSuccessTotal.labels([])
        cleanupFailure = try catalog.containerCleanupFailureTotal.labels([])
        collectionErrors = try catalog.collectionErrorsTotal.labels(["docker"])
        cycleSeconds = try catalog.containerStatsCycleSeconds.labels([])
    }

    // MARK: Settings and status

    public var settings: ContainerMonitorSettings { state.withLock { $0.settings } }

    /// Replaces the settings; tracked containers and their series stay. Queries already
    /// sent finish against the old engine.
    public func configure(_ settings: ContainerMonitorSettings) {
        state.withLock { state in
            state.settings = settings
            state.client = nil
            state.clientLoop = nil
        }
    }

    public func status() -> ContainerMonitorStatus {
        state.withLock { state in
            ContainerMonitorStatus(
                endpoint: state.settings.endpoint.description, label: state.settings.label,
                orphanThreshold: state.settings.orphanThreshold, autoCleanup: state.settings.autoCleanup,
                requestTimeoutSeconds: state.settings.requestTimeoutSeconds,
                trackedContainers: state.tracked.count, queriesInFlight: state.querying.count,
                polling: state.polling != nil,
                pollIntervalSeconds: state.polling.map { Double($0.interval.nanoseconds) / 1e9 },
                cyclesCompleted: state.cyclesCompleted, lastCycleSeconds: state.lastCycleSeconds,
                lastCycleContainers: state.lastCycleContainers, engineFailing: state.engineFailing,
                lastError: state.lastError, errors: state.errors, orphanedContainers: state.orphanCount,
                autoRemoved: state.autoRemoved)
        }
    }

    /// Container ids being tracked, sorted.
    var trackedIDs: [String] { state.withLock { $0.tracked.keys.sorted() } }

    // MARK: Hooks

    /// The loop created a sandbox: it counts in active_containers from now on, and a first
    /// stats query is scheduled so the next one has a CPU baseline.
    public func recordCreated(id: String, on source: some EventLoopSource) throws(ContainerMonitorError) {
        try trackAndQuery(id: id, on: source)
    }

    /// Schedules one stats query for the container and returns at once. An id not seen
    /// before is tracked from now on (its series need a cleanup to go). A query already
    /// in flight for the id answers this call too.
    public func recordStats(id: String, on source: some EventLoopSource) throws(ContainerMonitorError) {
        try trackAndQuery(id: id, on: source)
    }

    /// The loop removed (or failed to remove) a sandbox: counts the outcome, and the
    /// container's series and CPU baseline go whatever it was.
    public func recordCleanup(id: String, success: Bool) throws(ContainerMonitorError) {
        try Self.validate(id)
        state.withLock { state in
            untrack(id, in: &state)
            _ = try? (success ? cleanupSuccess : cleanupFailure).inc()
        }
    }

    private func trackAndQuery(id: String, on source: some EventLoopSource) throws(ContainerMonitorError) {
        try Self.validate(id)
        let query = state.withLock { state -> Query? in
            let token: UInt64
            if let existing = state.tracked[id] {
                token = existing
            } else {
                token = state.freshToken()
                state.tracked[id] = token
                try? active.set(Double(state.tracked.count))
            }
            guard !state.querying.contains(id), state.querying.count < Self.maxQueriesInFlight else { return nil }
            state.querying.insert(id)
            return Query(id: id, token: token, epoch: state.epoch)
        }
        guard let query else { return }
        source.withEventLoop { loop in
            loop.execute { self.runHookQuery(query, on: loop) }
        }
    }

    private func runHookQuery(_ query: Query, on loop: any EventLoop) {
        let client = state.withLock { $0.client(on: loop) }
        client.stats(id: query.id).hop(to: loop).whenComplete { result in
            _ = self.finish(query, result, countsError: true)
        }
    }

    // MARK: Polling

    /// Queries every tracked container and scans for orphans now and then every
    /// `intervalSeconds`, replacing any earlier schedule. A cycle still running when the
    /// next is due makes that one skip, so a slow engine is not queried twice over.
    public func startPolling(intervalSeconds: Double, on source: some EventLoopSource) throws(ContainerMonitorError) {
        guard intervalSeconds.isFinite, intervalSeconds >= 0.01, intervalSeconds <= 86_400 else {
            throw .invalidSettings(reason: "polling interval must be in [0.01, 86400] seconds, got \(intervalSeconds)")
        }
        let interval = TimeAmount.nanoseconds(Int64(intervalSeconds * 1_000_000_000))
        let (token, replaced) = state.withLock { state -> (UInt64, Polling?) in
            let token = state.freshToken()
            defer { state.polling = Polling(task: nil, interval: interval, token: token) }
            return (token, state.polling)
        }
        replaced?.task?.cancel()
        let task = source.withEventLoop { loop in
            loop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { _ in
                self.runCycle(pollToken: token, on: loop)
            }
        }
        // Stopped or replaced meanwhile: this schedule is no longer wanted.
        let unwanted = state.withLock { state -> RepeatedTask? in
            guard state.polling?.token == token else { return task }
            state.polling?.task = task
            return nil
        }
        unwanted?.cancel()
    }

    public func stopPolling() {
        let stopped = state.withLock { state -> Polling? in
            defer { state.polling = nil }
            return state.polling
        }
        stopped?.task?.cancel()
    }

    private struct CycleStart: Sendable {
        let epoch: UInt64
        let settings: ContainerMonitorSettings
        let client: DockerClient
    }

    private func runCycle(pollToken: UInt64, on loop: any EventLoop) {
        let start = state.withLock { state -> CycleStart? in
            guard let polling = state.polling, polling.token == pollToken, !state.cycleRunning else { return nil }
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
                    try? self.cycleSeconds.set(seconds)
                    if failures.value > 0 { self.countError(in: &state) }
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
            orphans.filter { orphan in
                seenBefore.contains(orphan.id) && !state.tracked.keys.contains { Self.names(orphan, $0) }
            }
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
            var queries: [Query] = []
            for (id, token) in state.tracked where !state.querying.contains(id) {
                state.querying.insert(id)
                queries.append(Query(id: id, token: token, epoch: start.epoch))
            }
            return queries
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
                    if state.epoch == start.epoch { state.querying.subtract(skipped) }
                }
            }
            for case .success(let outcome)? in results {
                counts.queried += 1
                if case .failed = outcome { counts.failed += 1 }
            }
            return counts
        }
    }

    private func isCurrent(epoch: UInt64) -> Bool {
        state.withLock { $0.epoch == epoch }
    }

    // MARK: Orphans (blocking calls for the host)

    /// Lists the labelled containers in an orphan state and sets orphaned_containers.
    /// Blocks up to the request timeout; call it off the event loop.
    public func scanOrphans(on source: some EventLoopSource) throws(ContainerMonitorError) -> [String] {
        try Self.wait(
            source.withEventLoop { loop in
                loop.flatSubmit {
                    let (client, settings, epoch) = self.state.withLock { ($0.client(on: loop), $0.settings, $0.epoch) }
                    return self.scan(client, settings, epoch: epoch, countsError: true, on: loop).map { $0.map(\.id) }
                }
            })
    }

    /// Scans, then force-removes every orphan (tracked ones too: the caller asked) and
    /// returns how many were removed. Each removal counts in
    /// container_cleanup_success_total or _failure_total; one already gone counts in neither.
    public func cleanupOrphans(on source: some EventLoopSource) throws(ContainerMonitorError) -> Int {
        try Self.wait(
            source.withEventLoop { loop in
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
    public func removeContainer(id: String, on source: some EventLoopSource) throws(ContainerMonitorError) -> Bool {
        try Self.validate(id)
        let outcome: Result<Bool, DockerError> = try Self.wait(
            source.withEventLoop { loop in
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
        let succeeded = (try? outcome.get()) != nil
        state.withLock { state in
            untrack(id, in: &state)
            _ = try? (succeeded ? cleanupSuccess : cleanupFailure).inc()
        }
        return try outcome.mapError(ContainerMonitorError.docker).get()
    }

    private func scan(
        _ client: DockerClient, _ settings: ContainerMonitorSettings, epoch: UInt64, countsError: Bool,
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

    private struct RemovalSummary: Sendable {
        var removed = 0
        var failed = 0
    }

    private func remove(
        _ containers: [ContainerSummary], scanned: Int, client: DockerClient, epoch: UInt64, on loop: any EventLoop
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
                        _ = try? self.cleanupSuccess.inc()
                    case .success(.failure(.notFound))?:
                        gone += 1
                    case .success(.failure(let error))?:
                        summary.failed += 1
                        _ = try? self.cleanupFailure.inc()
                        if let event = self.noteEngine(failed: error, in: &state) { events.append(event) }
                        continue
                    case .failure, nil:
                        continue
                    }
                    for id in state.tracked.keys where Self.names(container, id) {
                        self.untrack(id, in: &state)
                    }
                }
                let remaining = max(0, scanned - summary.removed - gone)
                state.orphanCount = remaining
                try? self.orphaned.set(Double(remaining))
            }
            for event in events { self.events.push(event) }
            return summary
        }
    }

    // MARK: Bookkeeping

    /// Applies one stats answer under the lock; returns what it was.
    private func finish(
        _ query: Query, _ result: Result<ContainerStatsSample, any Error>, countsError: Bool
    ) -> Outcome {
        let (outcome, event) = state.withLock { state -> (Outcome, RuntimeEvent?) in
            guard state.epoch == query.epoch else { return (.ignored, nil) }
            state.querying.remove(query.id)
            let isCurrent = state.tracked[query.id] == query.token
            switch result {
            case .success(let sample):
                if isCurrent {
                    let usage = state.calculator.record(id: query.id, sample: sample)
                    if let memory = usage.memoryUsageBytes {
                        try? memoryUsage.labels([query.id]).set(Double(memory))
                    }
                    if let cpu = usage.cpuPercent {
                        try? cpuUsage.labels([query.id]).set(cpu)
                    }
                }
                return (.sampled, noteEngineAnswered(in: &state))
            case .failure(let error):
                let dockerError = Self.dockerError(error)
                switch dockerError {
                case .notFound:
                    // Removed behind the monitor's back (e.g. --rm): its series must not linger.
                    if isCurrent { untrack(query.id, in: &state) }
                    return (.gone, noteEngineAnswered(in: &state))
                case .noStats, .engine(status: 409, _):
                    return (.notRunning, noteEngineAnswered(in: &state))
                default:
                    if countsError { countError(in: &state) }
                    return (.failed(dockerError), noteEngine(failed: dockerError, in: &state))
                }
            }
        }
        if let event { events.push(event) }
        return outcome
    }

    private func noteScan(orphans: Int, epoch: UInt64) {
        let event = state.withLock { state -> RuntimeEvent? in
            guard state.epoch == epoch else { return nil }
            state.orphanCount = orphans
            try? orphaned.set(Double(orphans))
            return noteEngineAnswered(in: &state)
        }
        if let event { events.push(event) }
    }

    private func noteFailure(_ error: DockerError, epoch: UInt64, countsError: Bool) {
        let event = state.withLock { state -> RuntimeEvent? in
            guard state.epoch == epoch else { return nil }
            if countsError { countError(in: &state) }
            return noteEngine(failed: error, in: &state)
        }
        if let event { events.push(event) }
    }

    private func countError(in state: inout State) {
        state.errors &+= 1
        _ = try? collectionErrors.inc()
    }

    /// The first failure of a streak gives the one warning; later ones only count.
    private func noteEngine(failed error: DockerError, in state: inout State) -> RuntimeEvent? {
        state.lastError = error.description
        guard !state.engineFailing else { return nil }
        state.engineFailing = true
        return RuntimeEvent(
            level: .warning,
            message: "Container metrics unavailable: \(error) (engine \(state.settings.endpoint)); "
                + "the last values stay exported until the engine answers again",
            json: JSONValue.sortedObject([
                ("collector", .string("docker")), ("endpoint", .string(state.settings.endpoint.description)),
                ("error", .string(error.description)),
            ]).rendered)
    }

    private func noteEngineAnswered(in state: inout State) -> RuntimeEvent? {
        guard state.engineFailing else { return nil }
        state.engineFailing = false
        return RuntimeEvent(
            level: .info, message: "Container metrics restored: the engine at \(state.settings.endpoint) answers again",
            json: JSONValue.sortedObject([
                ("collector", .string("docker")), ("endpoint", .string(state.settings.endpoint.description)),
            ]).rendered)
    }

    private func untrack(_ id: String, in state: inout State) {
        state.tracked[id] = nil
        state.calculator.forget(id: id)
        _ = try? memoryUsage.remove([id])
        _ = try? cpuUsage.remove([id])
        try? active.set(Double(state.tracked.count))
    }

    // MARK: Lifecycle

    /// Cancels polling and drops every answer still on its way (the runtime is stopping
    /// its loop). Tracked containers and their last values stay.
    public func stop() {
        let stopped = state.withLock { state -> Polling? in
            defer { resetInFlight(&state) }
            return state.polling
        }
        stopped?.task?.cancel()
    }

    /// In a forked child the parent's loop does not exist: forget the schedule without
    /// cancelling it there (that would post to a loop no thread runs).
    public func forgetThreadsAfterFork() {
        state.withLock { state in
            resetInFlight(&state)
        }
    }

    private func resetInFlight(_ state: inout State) {
        state.polling = nil
        state.epoch &+= 1
        state.querying.removeAll()
        state.cycleRunning = false
        state.client = nil
        state.clientLoop = nil
    }

    // MARK: Helpers

    /// Docker ids and names: `[A-Za-z0-9][A-Za-z0-9_.-]*`, which also keeps the id a
    /// single path segment and a short label value.
    static func validate(_ id: String) throws(ContainerMonitorError) {
        guard !id.isEmpty else { throw .invalidContainerID("it is empty") }
        guard id.utf8.count <= maxContainerIDBytes else {
            throw .invalidContainerID("\(id.utf8.count) bytes; at most \(maxContainerIDBytes)")
        }
        var first = true
        for byte in id.utf8 {
            let isAlphanumeric =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            let isPunctuation = byte == 0x5F || byte == 0x2E || byte == 0x2D
            guard isAlphanumeric || (!first && isPunctuation) else {
                throw .invalidContainerID("\"\(id)\" is not a container id or name")
            }
            first = false
        }
    }

    /// Whether `key` (as the loop tracks it: full id, short id or name) names `container`.
    static func names(_ container: ContainerSummary, _ key: String) -> Bool {
        if key == container.id { return true }
        if key.count >= 12, container.id.hasPrefix(key) { return true }
        return container.names.contains { $0 == key || $0 == "/" + key }
    }

    static func dockerError(_ error: any Error) -> DockerError {
        if let error = error as? DockerError { return error }
        if let error = error as? HTTPClientError { return .transport(error) }
        return .transport(.io(reason: "\(error)"))
    }

    private static func wait<Value: Sendable>(_ future: EventLoopFuture<Value>) throws(ContainerMonitorError) -> Value {
        do {
            return try HTTPClient.waitOffEventLoop(future)
        } catch {
            throw .docker(dockerError(error))
        }
    }
}
