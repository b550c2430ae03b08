import Glibc
import Testing
@testable import FinMonCore

/// A runtime with its alert manager configured from `config`, the alert log in a
/// private directory.
struct AlertManagerFixture {
    let collector: MetricsCollector
    let dir: ConfigTestSupport.TemporaryDirectory
    let logPath: String

    init(policy: AlertDeliveryPolicy? = nil, _ edit: (inout MonitoringConfig) -> Void = { _ in }) throws {
        collector = try MetricsCollector()
        dir = try ConfigTestSupport.TemporaryDirectory()
        logPath = dir.path + "/alerts.jsonl"
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.alerts.log_file", .string(logPath))
        edit(&config)
        if let policy {
            // The same manager as the runtime's, but with a quicker delivery policy.
            let manager = AlertManager(
                catalog: collector.catalog, events: collector.events, loop: collector.loop,
                diversity: collector.diversity, threads: collector.threads, policy: policy)
            alertsOverride = manager
        } else {
            alertsOverride = nil
        }
        alerts.configure(from: config)
    }

    private let alertsOverride: AlertManager?

    var alerts: AlertManager { alertsOverride ?? collector.alerts }

    func close() {
        alertsOverride?.shutDown()
        collector.stop()
        dir.remove()
    }

    func sample(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        collector.registry.sampleValue(name: name, labels: labels)
    }

    func active(_ type: AlertType) -> Double? { sample("alert_active", ["alert_type": type.rawValue]) }
    func triggered(_ type: AlertType) -> Double? { sample("alerts_triggered_total", ["alert_type": type.rawValue]) }

    /// Every event queued so far, removed from the queue.
    func drainEvents() -> [RuntimeEvent] {
        var drained: [RuntimeEvent] = []
        while let event = collector.events.next(timeout: 0) { drained.append(event) }
        return drained
    }

    func logLines() -> [String] {
        guard let text = try? ConfigTestSupport.read(logPath) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }
}

@Suite(.serialized) struct AlertManagerTests {
    private typealias JSON = ConfigTestSupport.JSON

    @Test func beforeConfigureNothingEvaluates() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        #expect(!collector.alerts.isConfigured && collector.alerts.configuration == nil)
        #expect(throws: AlertManagerError.notConfigured) { try collector.alerts.evaluate() }
        #expect(throws: AlertManagerError.notConfigured) { try collector.alerts.start() }
        #expect(AlertManagerError.notConfigured.description.contains("configure it first"))
        #expect(collector.alerts.activeAlerts.isEmpty)
    }

    @Test func configureShowsEveryTypeInactive() throws {
        let fixture = try AlertManagerFixture()
        defer { fixture.close() }
        #expect(fixture.alerts.isConfigured)
        #expect(fixture.alerts.configuration?.string("monitoring.alerts.log_file") == fixture.logPath)
        for type in AlertType.allCases {
            #expect(fixture.active(type) == 0)
            #expect(fixture.triggered(type) == 0)
        }
    }

    @Test func memoryCrossingFiresOnceResolvesAndFiresAgainWithLogMetricsAndEvents() throws {
        let fixture = try AlertManagerFixture()
        defer { fixture.close() }
        let alerts = fixture.alerts
        try alerts.inject(.memoryPercent, 70)
        #expect(try alerts.evaluate().isEmpty)

        try alerts.inject(.memoryPercent, 85)
        try alerts.inject(.iteration, 42)
        let fired = try alerts.evaluate()
        #expect(fired.map(\.status) == [.firing] && fired.first?.alertType == .highMemory)
        #expect(fired.first?.iterationContext == 42)
        #expect(fixture.triggered(.highMemory) == 1 && fixture.active(.highMemory) == 1)
        #expect(alerts.activeAlerts == fired)
        #expect(fixture.logLines() == fired.map { $0.jsonLine() })
        let events = fixture.drainEvents()
        #expect(events == [RuntimeEvent(
            level: .error, logger: "finmon.alerts", message: "Memory usage 85.0% is above 80%",
            json: fired.first?.jsonLine())])

        try alerts.inject(.memoryPercent, 95)
        #expect(try alerts.evaluate().isEmpty)  // persisting does not fire again
        #expect(fixture.triggered(.highMemory) == 1)

        try alerts.inject(.memoryPercent, 60)
        let resolved = try alerts.evaluate()
        #expect(resolved.map(\.status) == [.resolved])
        #expect(fixture.active(.highMemory) == 0 && fixture.triggered(.highMemory) == 1)
        #expect(alerts.activeAlerts.isEmpty)
        #expect(fixture.drainEvents().map(\.level) == [.info])

        try alerts.inject(.memoryPercent, 81)
        #expect(try alerts.evaluate().map(\.status) == [.firing])
        #expect(fixture.triggered(.highMemory) == 2 && fixture.active(.highMemory) == 1)
        #expect(fixture.logLines().count == 3)
        let statuses = try fixture.logLines().map { try JSON.parse($0)["status"] }
        #expect(statuses == [.string("firing"), .string("resolved"), .string("firing")])
    }

    /// Every rule through injected values: below, crossing, persisting, clearing, crossing again.
    @Test(arguments: [
        (AlertInput.memoryPercent, AlertType.highMemory, 50.0, 90.0),
        (.cpuPercent, .highCPU, 10, 95),
        (.diversity, .diversityCollapse, 0.5, 0.05),
        (.championStaleness, .championStaleness, 3, 25),
        (.successRate, .lowSuccessRate, 0.6, 0.1),
        (.orphanedContainers, .orphanedContainers, 1, 4),
    ] as [(AlertInput, AlertType, Double, Double)])
    func everyRuleFiresOncePerCrossing(input: AlertInput, type: AlertType, calm: Double, breach: Double) throws {
        let fixture = try AlertManagerFixture()
        defer { fixture.close() }
        let alerts = fixture.alerts
        func step(_ value: Double) throws -> [AlertEvent.Status] {
            try alerts.inject(input, value)
            return try alerts.evaluate().filter { $0.alertType == type }.map(\.status)
        }
        #expect(try step(calm) == [])
        #expect(try step(breach) == [.firing])
        #expect(fixture.active(type) == 1 && fixture.triggered(type) == 1)
        #expect(try step(breach) == [])
        #expect(try step(calm) == [.resolved])
        #expect(fixture.active(type) == 0)
        #expect(try step(breach) == [.firing])
        #expect(fixture.triggered(type) == 2)
        // Cleared injection: the signal is unavailable (or back to the monitors'), nothing changes.
        try alerts.inject(input, nil)
        #expect(try alerts.evaluate().filter { $0.alertType == type }.isEmpty)
    }

    @Test func diversityCollapseThroughTheRealHook() throws {
        let fixture = try AlertManagerFixture()
        defer { fixture.close() }
        let diversity = fixture.collector.diversity
        var fired: [AlertEvent] = []
        for iteration in 0..<4 {
            try diversity.recordDiversity(iteration: iteration, diversity: 0.05, uniqueCount: 1, totalCount: 20)
            fired += try fixture.alerts.evaluate()
        }
        #expect(fired.isEmpty)  // four low values: the window of five is not full yet
        try diversity.recordDiversity(iteration: 4, diversity: 0.05, uniqueCount: 1, totalCount: 20)
        let collapse = try fixture.alerts.evaluate()
        #expect(collapse.map(\.alertType) == [.diversityCollapse])
        #expect(collapse.first?.iterationContext == 4)
        #expect(collapse.first?.message == "Population diversity stayed below 0.1 for the last 5 iterations (highest 0.05)")
        try diversity.recordDiversity(iteration: 5, diversity: 0.05, uniqueCount: 1, totalCount: 20)
        #expect(try fixture.alerts.evaluate().isEmpty)
        try diversity.recordDiversity(iteration: 6, diversity: 0.35, uniqueCount: 12, totalCount: 20)
        let resolved = try fixture.alerts.evaluate()
        #expect(resolved.map(\.status) == [.resolved] && resolved.first?.currentValue == 0.35)
        #expect(fixture.active(.diversityCollapse) == 0)
    }

    @Test func stalenessAndSuccessRateThroughTheLoopHooks() throws {
        let fixture = try AlertManagerFixture { $0.testSet("monitoring.alerts.champion_staleness.threshold_iterations", 3) }
        defer { fixture.close() }
        let loop = fixture.collector.loop
        let diversity = fixture.collector.diversity
        try diversity.recordChampionUpdate(iteration: 0, oldSharpe: nil, newSharpe: 1)
        var seen: [AlertEvent] = []
        for iteration in 1...10 {
            // Every outcome a failure: the rate is 0 once the window of 10 is full.
            try loop.recordIteration(iteration: iteration, success: false, executionSeconds: 0.1)
            try diversity.observeIteration(iteration)
            seen += try fixture.alerts.evaluate()
        }
        #expect(seen.map(\.alertType) == [.championStaleness, .lowSuccessRate])
        #expect(seen.first?.iterationContext == 3)  // staleness reached 3 at iteration 3
        #expect(seen.last?.iterationContext == 10)  // the window filled at iteration 10
        #expect(seen.last?.currentValue == 0)
        try diversity.recordChampionUpdate(iteration: 10, oldSharpe: 1, newSharpe: 2)
        for iteration in 11...20 {
            try loop.recordIteration(iteration: iteration, success: true, executionSeconds: 0.1)
        }
        let resolved = try fixture.alerts.evaluate()
        #expect(Set(resolved.map(\.alertType)) == [.championStaleness, .lowSuccessRate])
        #expect(resolved.allSatisfy { $0.status == .resolved })
    }

    @Test func providersFeedTheSnapshotAndInjectionWins() throws {
        let fixture = try AlertManagerFixture()
        defer { fixture.close() }
        let alerts = fixture.alerts
        #expect(alerts.currentSnapshot().memoryPercent == nil)  // no resource monitor yet
        alerts.setProvider(.memoryPercent) { 91 }
        alerts.setProvider(.orphanedContainers) { 5 }
        alerts.setProvider(.cpuPercent) { .nan }  // not a value: unavailable
        let snapshot = alerts.currentSnapshot()
        #expect(snapshot.memoryPercent == 91 && snapshot.orphanedContainers == 5 && snapshot.cpuPercent == nil)
        #expect(try alerts.evaluate().map(\.alertType) == [.highMemory, .orphanedContainers])
        try alerts.inject(.memoryPercent, 10)
        #expect(try alerts.evaluate().map(\.status) == [.resolved])
        alerts.clearInjected()
        alerts.setProvider(.memoryPercent, nil)
        #expect(alerts.currentSnapshot().memoryPercent == nil)
        #expect(throws: AlertInputError.self) { try alerts.inject(.diversity, 2) }
        #expect(alerts.currentSnapshot().recentDiversity.isEmpty)
        try alerts.inject(.diversity, 0.2)
        #expect(alerts.currentSnapshot().recentDiversity == [0.2, 0.2, 0.2, 0.2, 0.2])
    }

    @Test func forSecondsHoldsAnAlertPendingOnTheInjectedClock() throws {
        let fixture = try AlertManagerFixture { $0.testSet("monitoring.alerts.for_seconds.high_cpu", 30) }
        defer { fixture.close() }
        try fixture.alerts.inject(.cpuPercent, 99)
        let start = AlertTime(monotonicSeconds: 1000, epochSeconds: 1_800_000_000)
        func at(_ seconds: Double) -> AlertTime {
            AlertTime(monotonicSeconds: start.monotonicSeconds + seconds, epochSeconds: start.epochSeconds + seconds)
        }
        #expect(try fixture.alerts.evaluate(now: at(0)).isEmpty)
        #expect(try fixture.alerts.evaluate(now: at(29)).isEmpty)
        #expect(fixture.active(.highCPU) == 0)
        #expect(try fixture.alerts.evaluate(now: at(30)).map(\.alertType) == [.highCPU])
    }

    @Test func anUnwritableLogIsReportedOnceAndAlertsStillFlow() throws {
        let fixture = try AlertManagerFixture { $0.testSet("monitoring.alerts.log_file", "/nonexistent-finmon-dir/alerts.jsonl") }
        defer { fixture.close() }
        let alerts = fixture.alerts
        try alerts.inject(.memoryPercent, 90)
        #expect(try alerts.evaluate().count == 1)
        try alerts.inject(.memoryPercent, 10)
        #expect(try alerts.evaluate().count == 1)
        let events = fixture.drainEvents()
        let errors = events.filter { $0.logger == "finmon" }
        #expect(errors.count == 1)
        #expect(errors.first?.level == .error)
        #expect(errors.first?.message.contains("alert log /nonexistent-finmon-dir/alerts.jsonl: open failed") == true)
        #expect(events.filter { $0.logger == "finmon.alerts" }.count == 2)
        #expect(fixture.active(.highMemory) == 0 && fixture.triggered(.highMemory) == 1)
    }

    @Test func aLogThatBecomesWritableAgainIsSaidSo() throws {
        let fixture = try AlertManagerFixture { _ in }
        defer { fixture.close() }
        var config = MonitoringConfig.defaults
        let subdir = fixture.dir.path + "/later"
        config.testSet("monitoring.alerts.log_file", .string(subdir + "/alerts.jsonl"))
        fixture.alerts.configure(from: config)
        try fixture.alerts.inject(.cpuPercent, 99)
        _ = try fixture.alerts.evaluate()
        #expect(mkdir(subdir, 0o755) == 0)
        defer {
            unlink(subdir + "/alerts.jsonl")
            rmdir(subdir)
        }
        try fixture.alerts.inject(.cpuPercent, 1)
        _ = try fixture.alerts.evaluate()
        let notes = fixture.drainEvents().filter { $0.logger == "finmon" }.map(\.level)
        #expect(notes == [.error, .info])
        #expect(try ConfigTestSupport.read(subdir + "/alerts.jsonl").contains("\"status\":\"resolved\""))
    }

    @Test func noLogFileMeansNoFile() throws {
        let fixture = try AlertManagerFixture { $0.testSet("monitoring.alerts.log_file", nil) }
        defer { fixture.close() }
        try fixture.alerts.inject(.memoryPercent, 90)
        #expect(try fixture.alerts.evaluate().count == 1)
        #expect(access(fixture.logPath, F_OK) != 0)
    }

    @Test func disabledAlertsNeverFireNorRun() throws {
        let fixture = try AlertManagerFixture { $0.testSet("monitoring.alerts.enabled", false) }
        defer { fixture.close() }
        try fixture.alerts.inject(.memoryPercent, 99)
        #expect(try fixture.alerts.evaluate().isEmpty)
        try fixture.alerts.start()
        #expect(!fixture.alerts.isRunning)
    }

    @Test func periodicEvaluationRunsOnTheLoopUntilStopped() throws {
        let fixture = try AlertManagerFixture { $0.testSet("monitoring.alerts.evaluation_interval", 0.02) }
        defer { fixture.close() }
        let alerts = fixture.alerts
        try alerts.inject(.orphanedContainers, 7)
        try alerts.start()
        try alerts.start()  // twice: still one schedule
        #expect(alerts.isRunning)
        #expect(Deadline.wait(seconds: 10) { fixture.active(.orphanedContainers) == 1 })
        try alerts.inject(.orphanedContainers, 0)
        #expect(Deadline.wait(seconds: 10) { fixture.active(.orphanedContainers) == 0 })
        alerts.stop()
        #expect(!alerts.isRunning)
        try alerts.inject(.orphanedContainers, 9)
        // Stopped: an evaluation now is the test's own, and it is the one that fires.
        #expect(try alerts.evaluate().map(\.alertType) == [.orphanedContainers])
        #expect(fixture.triggered(.orphanedContainers) == 2)
    }

    @Test func reconfiguringWhileRunningKeepsRunningAndStartsAfresh() throws {
        let fixture = try AlertManagerFixture { $0.testSet("monitoring.alerts.evaluation_interval", 60) }
        defer { fixture.close() }
        let alerts = fixture.alerts
        try alerts.inject(.cpuPercent, 99)
        try alerts.start()
        #expect(Deadline.wait(seconds: 10) { fixture.active(.highCPU) == 1 })
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.alerts.log_file", nil)
        config.testSet("monitoring.alerts.evaluation_interval", 0.02)
        alerts.configure(from: config)
        #expect(alerts.isRunning)
        // Afresh: the alert fires again under the new configuration, on the new schedule.
        #expect(fixture.active(.highCPU) == 0 || fixture.triggered(.highCPU) == 2)
        #expect(Deadline.wait(seconds: 10) { fixture.triggered(.highCPU) == 2 && fixture.active(.highCPU) == 1 })
        #expect(alerts.activeAlerts.map(\.alertType) == [.highCPU])
    }

    @Test func theRuntimeStopEndsPeriodicEvaluation() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        var config = MonitoringConfig.defaults
        config.testSet("monitoring.alerts.log_file", nil)
        collector.alerts.configure(from: config)
        try collector.alerts.start()
        #expect(collector.alerts.isRunning)
        collector.stop()
        #expect(!collector.alerts.isRunning)
        try collector.alerts.start()  // the runtime starts its threads again
        #expect(collector.alerts.isRunning)
    }

    @Test func forgettingAfterForkDropsTheSchedule() throws {
        let fixture = try AlertManagerFixture(policy: .default) { $0.testSet("monitoring.alerts.evaluation_interval", 3600) }
        defer { fixture.close() }
        try fixture.alerts.start()
        #expect(fixture.alerts.isRunning)
        fixture.alerts.forgetThreadsAfterFork()
        #expect(!fixture.alerts.isRunning)
    }

    @Test func levelsFollowStatusAndSeverity() {
        let firingCritical = AlertTestEvents.firing(.highMemory)
        let firingWarning = AlertTestEvents.firing(.highCPU)
        #expect(AlertManager.level(of: firingCritical) == .error)
        #expect(AlertManager.level(of: firingWarning) == .warning)
        #expect(AlertManager.level(of: AlertTestEvents.resolved(at: 1)) == .info)
    }

    @Test func relativeLogPathsAreTakenAgainstTheWorkingDirectory() {
        #expect(AlertManager.absolutePath("/var/log/a.jsonl") == "/var/log/a.jsonl")
        var buffer = [CChar](repeating: 0, count: 4096)
        let cwd = getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? ""
        #expect(AlertManager.absolutePath("a.jsonl") == (cwd == "/" ? "/a.jsonl" : cwd + "/a.jsonl"))
    }

    @Test func eventArraysAreJSON() throws {
        #expect(AlertEvent.jsonArray([]) == "[]")
        let text = AlertEvent.jsonArray([AlertTestEvents.firing(), AlertTestEvents.resolved(at: 3)])
        guard case .array(let items) = try JSON.parse(text) else {
            Issue.record("not an array")
            return
        }
        #expect(items.map { $0["status"] } == [.string("firing"), .string("resolved")])
    }
}
