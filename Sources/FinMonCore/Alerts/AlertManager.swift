#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Synchronization

/// The runtime's alerting: gathers a snapshot of what the monitors know, runs the
/// `AlertEngine`, and for each event, in this order, appends it to the JSON-lines alert
/// log, updates `alerts_triggered_total` and `alert_active`, hands it to the host's
/// logging (logger `finmon.alerts`) and queues it for Alertmanager and the webhook.
///
/// The log line comes first so that an alert is on disk before anything that could fail
/// or lag (a receiver down, a full event queue). Evaluation runs on demand (`evaluate`)
/// or every `monitoring.alerts.evaluation_interval` on the runtime's event loop (`start`).
///
/// Signals come, first match wins, from injected values (`inject`), provider closures
/// (`setProvider`: the resource and container monitors register theirs), then the loop
/// and diversity monitors. Providers are called on every evaluation, under this manager's
/// lock and possibly on the event loop: they must return at once (a cached sample, not a
/// fresh read) and must not call back into the manager.
public final class AlertManager: Sendable {
    public typealias Provider = @Sendable () -> Double?

    private struct Core: Sendable {
        var config: MonitoringConfig?
        var engine = AlertEngine(rules: [])
        var log: AlertLogSink?
        /// Keyed by the log's path: an unwritable log is reported once, not per event.
        var logLatch = WarningLatch<String>()
        var injected: [AlertInput: Double] = [:]
        var providers: [AlertInput: Provider] = [:]
    }

    private let core = Mutex(Core())
    /// Periodic evaluation on the library's loop (deliveries have the dispatcher's job).
    private let evaluation: EventLoopJob
    private let boundPort = Mutex<(@Sendable () -> Int?)?>(nil)
    private let dispatcher: AlertDispatcher
    private let policy: AlertDeliveryPolicy
    private let events: EventQueue
    private let loop: LoopMonitor
    private let diversity: DiversityMonitor
    private let triggered: LabeledMetric<Counter>
    private let active: LabeledMetric<Gauge>
    private let logErrors: Metric<Counter>

    /// Periodic evaluation and deliveries run on `threads`' loop, asked for lazily, so
    /// threads exist only once something needs them.
    public init(
        catalog: MetricsCatalog, events: EventQueue, loop: LoopMonitor, diversity: DiversityMonitor,
        threads: any EventLoopSource, policy: AlertDeliveryPolicy = .default
    ) {
        self.events = events
        self.loop = loop
        self.diversity = diversity
        self.policy = policy
        triggered = catalog.alertsTriggeredTotal
        active = catalog.alertActive
        logErrors = catalog.alertLogErrorsTotal
        evaluation = EventLoopJob(threads: threads)
        dispatcher = AlertDispatcher(catalog: catalog, events: events, threads: threads, policy: policy)
    }

    /// The exporter's bound port, for the `instance` label when the config's port is 0.
    public func attach(boundPort provider: @escaping @Sendable () -> Int?) {
        boundPort.withLock { $0 = provider }
    }

    // MARK: - Configuration

    /// Applies the `alerts` section: rules, log file, receivers, evaluation interval.
    ///
    /// Starts the state machine afresh: alerts firing before are forgotten (`alert_active`
    /// goes back to 0; in Alertmanager they expire at their `endsAt`) and undelivered
    /// notifications are dropped. Meant for start-up. A relative `log_file` is taken
    /// against the working directory now, so a later `chdir` does not move the log.
    /// If periodic evaluation runs, it continues at the new interval.
    public func configure(from config: MonitoringConfig) {
        core.withLock { core in
            core.config = config
            core.engine = AlertEngine(config: config)
            core.log = config.string("monitoring.alerts.log_file").map { AlertLogSink(path: Self.absolutePath($0)) }
            core.logLatch = WarningLatch()
            repairLog(&core)
            for type in AlertType.allCases {
                // Every type shows 0 from the start, so dashboards and absent() see the series.
                active.child([type.rawValue]).set(0)
                _ = triggered.child([type.rawValue])
            }
        }
        diversity.configure(collapseWindow: config.int("monitoring.alerts.diversity_collapse.window"))
        let enabled = config.bool("monitoring.alerts.enabled")
        let target = ScrapeTarget(config: config, boundPort: boundPort.withLock { $0 }?())
        dispatcher.configure(
            alertmanagerURL: enabled ? config.string("monitoring.alerts.alertmanager.url") : nil,
            webhookURL: enabled ? config.string("monitoring.alerts.webhook.url") : nil,
            resendIntervalSeconds: config.double("monitoring.alerts.alertmanager.resend_interval"),
            labels: target.labels(adding: config.labels("monitoring.alerts.alertmanager.labels")), policy: policy)
        if isRunning {
            stop()
            try? start()
        }
    }

    public var configuration: MonitoringConfig? { core.withLock { $0.config } }

    var isConfigured: Bool { core.withLock { $0.config != nil } }

    // MARK: - Inputs

    /// Registers (or with nil removes) the closure that reads `input` at each evaluation.
    /// It returns nil while the signal is unavailable; a value the input cannot take
    /// (see `AlertInput.validated`) counts as unavailable too.
    public func setProvider(_ input: AlertInput, _ provider: Provider?) {
        core.withLock { $0.providers[input] = provider }
    }

    /// Overrides `input` with `value` until cleared (nil clears). For tests and for hosts
    /// that measure a signal themselves.
    /// - Throws: `AlertInputError` for a value the input cannot take; nothing changes then.
    public func inject(_ input: AlertInput, _ value: Double?) throws(AlertInputError) {
        guard let value else {
            core.withLock { _ = $0.injected.removeValue(forKey: input) }
            return
        }
        let checked = try input.validated(value)
        core.withLock { $0.injected[input] = checked }
    }

    func clearInjected() {
        core.withLock { $0.injected.removeAll() }
    }

    /// The snapshot the next evaluation would see (without evaluating).
    func currentSnapshot() -> AlertSnapshot {
        core.withLock { snapshot($0) }
    }

    private func snapshot(_ core: Core, now: AlertTime = .now()) -> AlertSnapshot {
        func value(_ input: AlertInput) -> Double? {
            if let injected = core.injected[input] { return injected }
            guard let provided = core.providers[input]?() else { return nil }
            return try? input.validated(provided)
        }
        func whole(_ input: AlertInput) -> Int? {
            value(input).flatMap { Int(exactly: $0) }
        }
        let window = core.config?.int("monitoring.alerts.diversity_collapse.window") ?? 1
        let population = diversity.snapshot(recent: window)
        let outcomes = loop.snapshot()
        var snapshot = AlertSnapshot()
        snapshot.memoryPercent = value(.memoryPercent)
        snapshot.cpuPercent = value(.cpuPercent)
        if let level = value(.diversity) {
            snapshot.recentDiversity = Array(repeating: level, count: window)
        } else {
            snapshot.recentDiversity = population.recentDiversity
        }
        snapshot.iterationsSinceChampionUpdate = whole(.championStaleness) ?? population.iterationsSinceChampionUpdate
        snapshot.successRate = value(.successRate) ?? outcomes.successRate
        snapshot.orphanedContainers = whole(.orphanedContainers)
        snapshot.iteration = whole(.iteration) ?? population.currentIteration ?? outcomes.lastIteration
        snapshot.residentMemoryBytes = value(.residentMemoryBytes)
        snapshot.residentMemoryGrowthBytesPerSecond = value(.residentMemoryGrowth)
        snapshot.memoryLimitBytes = value(.memoryLimitBytes)
        snapshot.secondsSinceLastIteration = value(.secondsSinceLastIteration)
            ?? max(now.monotonicSeconds - outcomes.lastIterationMonotonicSeconds, 0)
        return snapshot
    }

    // MARK: - Evaluation

    /// Evaluates every rule once and returns the events that happen now (alerts that
    /// started firing or resolved), after logging, counting and queueing them.
    /// - Throws: `AlertManagerError.notConfigured` before `configure`.
    @discardableResult
    public func evaluate(now: AlertTime = .now()) throws(AlertManagerError) -> [AlertEvent] {
        let happened = try core.withLock { core throws(AlertManagerError) -> [AlertEvent] in
            guard core.config != nil else { throw .notConfigured }
            let happened = core.engine.evaluate(snapshot(core, now: now), now: now)
            publish(happened, &core)
            return happened
        }
        if !happened.isEmpty { dispatcher.kick() }
        return happened
    }

    /// The alert `type`'s rule would raise for the current signals, ignoring whether it is
    /// already firing and its `for` duration; nil when its condition does not hold. No
    /// state changes, nothing is logged or sent (the design's `_check_*` methods).
    /// - Throws: `AlertManagerError.notConfigured` before `configure`.
    public func check(_ type: AlertType, now: AlertTime = .now()) throws(AlertManagerError) -> AlertEvent? {
        try core.withLock { core throws(AlertManagerError) -> AlertEvent? in
            guard core.config != nil else { throw .notConfigured }
            return core.engine.check(type, snapshot(core, now: now), now: now)
        }
    }

    /// Fires `event` as an evaluation would (the design's `_trigger_alert`): the alert is
    /// firing from now on (resolved by a later evaluation once its condition clears),
    /// appended to the alert log, counted in `alerts_triggered_total`, logged on
    /// `finmon.alerts` and sent to the receivers.
    /// - Throws: `AlertManagerError.notConfigured` before `configure`.
    public func trigger(_ event: AlertEvent) throws(AlertManagerError) {
        try core.withLock { core throws(AlertManagerError) in
            guard core.config != nil else { throw .notConfigured }
            core.engine.activate(event)
            publish([event], &core)
        }
        dispatcher.kick()
    }

    /// Logs, counts, reports and queues events for delivery. All of it under the lock, so
    /// two evaluations racing cannot leave alert_active or the receivers showing an older
    /// event after a newer one.
    private func publish(_ happened: [AlertEvent], _ core: inout Core) {
        guard !happened.isEmpty else { return }
        writeLog(happened, &core)
        for event in happened {
            switch event.status {
            case .firing:
                triggered.child([event.alertType.rawValue]).inc()
                active.child([event.alertType.rawValue]).set(1)
            case .resolved:
                active.child([event.alertType.rawValue]).set(0)
            }
            events.push(RuntimeEvent(
                level: Self.level(of: event), logger: "finmon.alerts", message: event.message, json: event.jsonLine()))
        }
        dispatcher.enqueue(happened)
    }

    /// A partial last line left by a crash is removed at configuration; a failure to look
    /// counts as a log error (the first append reports it).
    private func repairLog(_ core: inout Core) {
        guard let log = core.log else { return }
        do {
            let removed = try log.repair()
            if removed > 0 {
                events.push(RuntimeEvent(
                    level: .warning,
                    message: "alert log \(log.path) ended in a partial line (\(removed) bytes of an interrupted write); removed it"))
            }
        } catch {
            logErrors.inc()
        }
    }

    /// A failed append counts in `finmon_alert_log_errors_total` (the `alert_log_failing`
    /// rule's signal: an alert about the log cannot go through the log) and is reported
    /// once until the log works again; the event still reaches logging and the receivers.
    private func writeLog(_ happened: [AlertEvent], _ core: inout Core) {
        guard let log = core.log else { return }
        do {
            let outcome = try log.append(happened)
            if outcome.repairedBytes > 0 {
                events.push(RuntimeEvent(
                    level: .warning,
                    message: "alert log \(log.path) ended in a partial line (\(outcome.repairedBytes) bytes of an interrupted write); removed it"))
            }
            if core.logLatch.recordSuccess(log.path) {
                events.push(RuntimeEvent(level: .info, message: "alert log \(log.path) is writable again"))
            }
        } catch {
            logErrors.inc()
            if core.logLatch.recordFailure(log.path) {
                events.push(RuntimeEvent(
                    level: .error,
                    message: "\(error); alerts still reach logging and the receivers, and are written again once it works"))
            }
        }
    }

    /// Critical alerts log as errors, warnings as warnings, resolutions as info.
    static func level(of event: AlertEvent) -> RuntimeEvent.Level {
        switch (event.status, event.severity) {
        case (.resolved, _): .info
        case (.firing, .critical): .error
        case (.firing, .warning): .warning
        }
    }

    /// The firing event of every active alert, in `AlertType.allCases` order.
    public var activeAlerts: [AlertEvent] { core.withLock { $0.engine.activeAlerts } }

    public var deliveryStatus: AlertDeliveryStatus { dispatcher.status }

    // MARK: - Periodic evaluation

    /// Evaluates now and then every `monitoring.alerts.evaluation_interval` seconds on the event loop,
    /// until `stop`. Starting twice changes nothing; with alerts disabled nothing is scheduled.
    /// - Throws: `AlertManagerError.notConfigured` before `configure`.
    public func start() throws(AlertManagerError) {
        guard let config = configuration else { throw .notConfigured }
        guard config.bool("monitoring.alerts.enabled") else { return }
        if !evaluation.isRunning {
            evaluation.start(every: .nanoseconds(Int64(Self.interval(config) * 1e9))) { [weak self] _, _ in
                // Only notConfigured can be thrown, and start() checked it.
                _ = try? self?.evaluate()
            }
        }
        // Deliveries a runtime stop abandoned resume now, not only at the next event.
        dispatcher.kick()
    }

    /// Stops periodic evaluation; deliveries under way go on. Returns at once.
    public func stop() {
        evaluation.stop()
    }

    public var isRunning: Bool { evaluation.isRunning }

    /// Seconds between the periodic evaluations, nil while they do not run.
    public var intervalSeconds: Double? {
        guard isRunning, let config = configuration else { return nil }
        return Self.interval(config)
    }

    private static func interval(_ config: MonitoringConfig) -> Double {
        min(max(config.double("monitoring.alerts.evaluation_interval"), 0.001), 86_400)
    }

    /// The runtime is stopping its threads: periodic evaluation ends, the alerts firing now
    /// are resolved at Alertmanager (`endsAt` now, waiting at most the policy's
    /// `stopTimeoutSeconds`; the outcome is logged), and deliveries in flight are abandoned
    /// (what they carried stays pending until the next `start` or event). After a crash,
    /// nothing resolves them early: Prometheus' loop_down rule reports the dead loop.
    public func shutDown() {
        stop()
        dispatcher.resolveFiringAtStop()
        dispatcher.stop()
    }

    /// In a forked child: the parent's loop is gone, so nothing is cancelled on it.
    public func forgetThreadsAfterFork() {
        evaluation.forgetAfterFork()
        dispatcher.forgetAfterFork()
    }

    // MARK: - Helpers

    static func absolutePath(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let directory = buffer.withUnsafeBufferPointer { pointer in
            pointer.baseAddress.flatMap { String(validatingCString: $0) }
        }
        guard let directory else { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}
