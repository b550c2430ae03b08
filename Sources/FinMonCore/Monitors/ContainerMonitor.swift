import NIOCore
import Synchronization

/// The original design's ContainerMonitor: sandbox containers' CPU and memory, active and
/// orphaned counts, cleanup outcomes, over the Docker Engine API on the library's loop.
///
/// Hooks never wait for the engine. `recordCreated`/`recordStats` note the container and
/// schedule one stats query on the loop; `recordCleanup` is local. Polling
/// (`ContainerMonitor+Polling.swift`) queries every tracked container each interval and
/// scans for orphans; the orphan calls for the host (`ContainerMonitor+Orphans.swift`)
/// block. A query that times out or fails leaves the last values exported, counts one
/// collection error, and logs one warning until the engine answers again
/// (`ContainerEngineHealth`). Which containers are tracked, and their series, is
/// `ContainerTracking`.
///
///     let monitor = collector.containers
///     try monitor.recordCreated(id: "sandbox-7")     // returns at once; stats follow
///     try monitor.startPolling(intervalSeconds: 10)
///     try monitor.recordCleanup(id: "sandbox-7", success: true)
public final class ContainerMonitor: Sendable {
    /// Stats queries one polling cycle keeps in flight.
    public static let statsWindow = 16
    /// Removals one cleanup keeps in flight.
    public static let removeWindow = 8
    /// Hook queries in flight at most: a loop calling hooks faster than a stalled engine
    /// times them out must not pile up sockets. Past it, a hook's query is skipped.
    public static let maxQueriesInFlight = 256
    public static let maxContainerIDBytes = 128

    /// One stats query's identity: the container, the tracking it belongs to (a
    /// cleaned-up container's late answer must not bring its series back) and the
    /// runtime epoch (answers arriving after `stop()` are dropped).
    struct Query: Sendable {
        let id: String
        let token: Generation
        let epoch: Generation
    }

    enum Outcome: Sendable {
        case sampled, gone, notRunning, ignored
        case failed(DockerError)
    }

    struct State {
        var settings: ContainerMonitorSettings
        var client: DockerClient?
        var clientLoop: (any EventLoop)?
        var tracking: ContainerTracking
        var health: ContainerEngineHealth
        /// Moves on at `stop()` and in a forked child: answers from before are dropped.
        var epoch = Generation()
        var cycleRunning = false
        var cyclesCompleted: UInt64 = 0
        var lastCycleSeconds: Double?
        var lastCycleContainers = 0
        var orphanCount: Int?
        var autoRemoved: UInt64 = 0
        /// Orphan ids the previous periodic scan found (see `autoClean`).
        var orphansSeen: Set<String> = []

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

    let state: Mutex<State>
    let events: EventQueue
    /// The polling schedule; hooks and the orphan calls reach the loop through it too.
    let polling: EventLoopJob
    let orphaned: Metric<Gauge>
    let cleanupSuccess: Metric<Counter>
    let cleanupFailure: Metric<Counter>
    let cycleSeconds: Metric<Gauge>

    /// A monitor on the engine DOCKER_HOST names (else /var/run/docker.sock) with the
    /// documented defaults, until `configure` says otherwise.
    /// - Throws: `MetricsError` if the catalog's collection error counter refuses "docker".
    public init(catalog: MetricsCatalog, events: EventQueue, threads: any EventLoopSource) throws(MetricsError) {
        let endpoint =
            (try? DockerClient.resolveEndpoint(configured: nil, dockerHost: DockerClient.dockerHostFromEnvironment()))
            ?? .unix(path: DockerClient.defaultSocketPath)
        let health = ContainerEngineHealth(
            collectionErrors: try catalog.collectionErrorsTotal.labels([ContainerEngineHealth.collector]))
        state = Mutex(State(
            settings: .defaults(endpoint: endpoint), tracking: ContainerTracking(catalog: catalog), health: health))
        self.events = events
        polling = EventLoopJob(threads: threads)
        orphaned = catalog.orphanedContainers
        cleanupSuccess = catalog.containerCleanupSuccessTotal
        cleanupFailure = catalog.containerCleanupFailureTotal
        cycleSeconds = catalog.containerStatsCycleSeconds
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
        let interval = polling.interval
        return state.withLock { state in
            ContainerMonitorStatus(
                endpoint: state.settings.endpoint.description, label: state.settings.label,
                orphanThreshold: state.settings.orphanThreshold, autoCleanup: state.settings.autoCleanup,
                requestTimeoutSeconds: state.settings.requestTimeoutSeconds,
                trackedContainers: state.tracking.tracked.count, queriesInFlight: state.tracking.querying.count,
                polling: interval != nil,
                pollIntervalSeconds: interval.map { Double($0.nanoseconds) / 1e9 },
                cyclesCompleted: state.cyclesCompleted, lastCycleSeconds: state.lastCycleSeconds,
                lastCycleContainers: state.lastCycleContainers, engineFailing: state.health.isFailing,
                lastError: state.health.lastError, errors: state.health.errors, orphanedContainers: state.orphanCount,
                autoRemoved: state.autoRemoved)
        }
    }

    /// Container ids being tracked, sorted.
    var trackedIDs: [String] { state.withLock { $0.tracking.tracked.keys.sorted() } }

    // MARK: Hooks

    /// The loop created a sandbox: it counts in active_containers from now on, and a first
    /// stats query is scheduled so the next one has a CPU baseline.
    public func recordCreated(id: String) throws(ContainerMonitorError) {
        try trackAndQuery(id: id)
    }

    /// Schedules one stats query for the container and returns at once. An id not seen
    /// before is tracked from now on (its series need a cleanup to go). A query already
    /// in flight for the id answers this call too.
    public func recordStats(id: String) throws(ContainerMonitorError) {
        try trackAndQuery(id: id)
    }

    /// The loop removed (or failed to remove) a sandbox: counts the outcome, and the
    /// container's series and CPU baseline go whatever it was.
    public func recordCleanup(id: String, success: Bool) throws(ContainerMonitorError) {
        try Self.validate(id)
        state.withLock { state in
            state.tracking.untrack(id)
            (success ? cleanupSuccess : cleanupFailure).inc()
        }
    }

    private func trackAndQuery(id: String) throws(ContainerMonitorError) {
        try Self.validate(id)
        let query = state.withLock { state -> Query? in
            let token = state.tracking.track(id)
            guard state.tracking.claimQuery(id, limit: Self.maxQueriesInFlight) else { return nil }
            return Query(id: id, token: token, epoch: state.epoch)
        }
        guard let query else { return }
        polling.withEventLoop { loop in
            loop.execute { self.runHookQuery(query, on: loop) }
        }
    }

    private func runHookQuery(_ query: Query, on loop: any EventLoop) {
        let client = state.withLock { $0.client(on: loop) }
        client.stats(id: query.id).hop(to: loop).whenComplete { result in
            _ = self.finish(query, result, countsError: true)
        }
    }

    // MARK: Answers

    /// Applies one stats answer under the lock; returns what it was.
    func finish(_ query: Query, _ result: Result<ContainerStatsSample, any Error>, countsError: Bool) -> Outcome {
        let (outcome, event) = state.withLock { state -> (Outcome, RuntimeEvent?) in
            guard state.epoch == query.epoch else { return (.ignored, nil) }
            state.tracking.release(query.id)
            let isCurrent = state.tracking.isCurrent(query.id, query.token)
            let endpoint = state.settings.endpoint
            switch result {
            case .success(let sample):
                if isCurrent { state.tracking.record(sample, id: query.id) }
                return (.sampled, state.health.answered(endpoint: endpoint))
            case .failure(let error):
                let dockerError = Self.dockerError(error)
                switch dockerError {
                case .notFound:
                    // Removed behind the monitor's back (e.g. --rm): its series must not linger.
                    if isCurrent { state.tracking.untrack(query.id) }
                    return (.gone, state.health.answered(endpoint: endpoint))
                case .noStats, .engine(status: 409, _):
                    return (.notRunning, state.health.answered(endpoint: endpoint))
                default:
                    if countsError { state.health.countError() }
                    return (.failed(dockerError), state.health.failed(dockerError, endpoint: endpoint))
                }
            }
        }
        if let event { events.push(event) }
        return outcome
    }

    /// A scan answered: the orphan count is current, and the engine is reachable.
    func noteScan(orphans: Int, epoch: Generation) {
        let event = state.withLock { state -> RuntimeEvent? in
            guard state.epoch == epoch else { return nil }
            state.orphanCount = orphans
            orphaned.set(Double(orphans))
            return state.health.answered(endpoint: state.settings.endpoint)
        }
        if let event { events.push(event) }
    }

    func noteFailure(_ error: DockerError, epoch: Generation, countsError: Bool) {
        let event = state.withLock { state -> RuntimeEvent? in
            guard state.epoch == epoch else { return nil }
            if countsError { state.health.countError() }
            return state.health.failed(error, endpoint: state.settings.endpoint)
        }
        if let event { events.push(event) }
    }

    func isCurrent(epoch: Generation) -> Bool {
        state.withLock { $0.epoch == epoch }
    }

    // MARK: Lifecycle

    /// Cancels polling and drops every answer still on its way (the runtime is stopping
    /// its loop). Tracked containers and their last values stay.
    public func stop() {
        polling.stop()
        state.withLock { resetInFlight(&$0) }
    }

    /// In a forked child the parent's loop does not exist: forget the schedule without
    /// cancelling it there (that would post to a loop no thread runs).
    public func forgetThreadsAfterFork() {
        polling.forgetAfterFork()
        state.withLock { resetInFlight(&$0) }
    }

    private func resetInFlight(_ state: inout State) {
        state.epoch.advance()
        state.tracking.releaseAll()
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
        ContainerTracking.names(container, key)
    }

    static func dockerError(_ error: any Error) -> DockerError {
        if let error = error as? DockerError { return error }
        if let error = error as? HTTPClientError { return .transport(error) }
        return .transport(.io(reason: "\(error)"))
    }

    static func wait<Value: Sendable>(_ future: EventLoopFuture<Value>) throws(ContainerMonitorError) -> Value {
        do {
            return try HTTPClient.waitOffEventLoop(future)
        } catch {
            throw .docker(dockerError(error))
        }
    }
}
