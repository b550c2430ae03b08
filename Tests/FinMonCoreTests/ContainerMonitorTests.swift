import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import FinMonCore

/// An engine double on a real unix socket: podman's replies, with switches for the
/// faults a real engine cannot be made to show on demand (500s, silence, hang-ups).
final class EngineDouble: Sendable {
    enum Mode: Sendable { case normal, failing, silent, hangUp, slow }

    struct Routes: Sendable {
        var mode: Mode = .normal
        /// Overrides `mode` for stats requests only.
        var statsMode: Mode?
        /// Stats bodies per container id, served in order (the last one repeats).
        var stats: [String: [String]] = [:]
        var list = PodmanFixtures.containersList
        /// Status lines for DELETE per container id (default 204).
        var deletes: [String: String] = [:]
    }

    let routes = NIOLockedValueBox(Routes())
    let served = NIOLockedValueBox<[String: Int]>([:])
    let server: CannedHTTPServer

    private init(server: CannedHTTPServer) { self.server = server }

    static func start() async throws -> EngineDouble {
        let box = NIOLockedValueBox<EngineDouble?>(nil)
        let server = try await CannedHTTPServer.unix { request in
            box.withLockedValue { $0 }?.reply(to: request.requestLine) ?? .hangUp
        }
        let double = EngineDouble(server: server)
        box.withLockedValue { $0 = double }
        return double
    }

    var endpoint: HTTPEndpoint { server.endpoint }

    func count(_ prefix: String) -> Int {
        served.withLockedValue { $0.filter { $0.key.hasPrefix(prefix) }.values.reduce(0, +) }
    }

    private func reply(to line: String) -> CannedReply {
        let parts = line.split(separator: " ")
        let target = parts.count > 1 ? String(parts[1]) : ""
        let key = (parts.first.map(String.init) ?? "") + " " + (target.split(separator: "?").first.map(String.init) ?? "")
        let nth = served.withLockedValue { served -> Int in
            served[key, default: 0] += 1
            return served[key, default: 1] - 1
        }
        let routes = self.routes.withLockedValue { $0 }
        let headers = PodmanFixtures.jsonHeaders
        let isStats = key.hasSuffix("/stats")
        switch (isStats ? routes.statsMode : nil) ?? routes.mode {
        case .silent: return .silent
        case .hangUp: return .hangUp
        case .failing:
            return .http(status: "500 Internal Server Error", headers: headers, body: #"{"message":"engine broke"}"#)
        case .slow:
            // Holds this server thread so the answer lands after the test's next step.
            usleep(400_000)
        case .normal: break
        }
        if key.hasPrefix("GET /v1.41/containers/json") {
            return .http(headers: headers, body: routes.list)
        }
        let segments = key.split(separator: "/")
        if key.hasPrefix("GET /v1.41/containers/"), key.hasSuffix("/stats"), segments.count >= 4 {
            let id = String(segments[3])
            guard let bodies = routes.stats[id], let last = bodies.last else {
                return .http(status: "404 Not Found", headers: headers, body: "")
            }
            return .http(headers: headers, body: nth < bodies.count ? bodies[nth] : last)
        }
        if key.hasPrefix("DELETE /v1.41/containers/"), segments.count >= 4 {
            let status = routes.deletes[String(segments[3])] ?? "204 No Content"
            if status.hasPrefix("204") {
                return .parts([Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)])
            }
            return .http(status: status, headers: headers, body: #"{"message":"refused"}"#)
        }
        return .http(status: "404 Not Found", headers: headers, body: #"{"message":"page not found"}"#)
    }
}

@Suite(.serialized) struct ContainerMonitorTests {
    static let running = "b6b02bd0f87669fe00f8bbc9fba394e687e17229d4648d0e80e31e1e484ab4aa"
    static let exited = "ed56724b8e14bb11cab5388fababff24792d1300aa7c6c383f182ffb9b01f979"

    struct Fixture {
        let engine: EngineDouble
        let collector: MetricsCollector
        var monitor: ContainerMonitor { collector.containers }
        var catalog: MetricsCatalog { collector.catalog }

        func memory(_ id: String) -> Double? { catalog.containerMemoryUsageBytes.existing([id])?.value }
        func cpu(_ id: String) -> Double? { catalog.containerCPUUsagePercent.existing([id])?.value }
        var errors: Double { (try? catalog.collectionErrorsTotal.labels(["docker"]).value) ?? -1 }
        func value<Kind>(_ metric: Metric<Kind>) -> Double { metric.value }

        func stop() {
            collector.stop()
            engine.server.stop()
        }
    }

    func fixture(
        timeout: Double = 2, label: String = "finlab-sandbox", threshold: Int = 3, autoCleanup: Bool = true
    ) async throws -> Fixture {
        let engine = try await EngineDouble.start()
        let collector = try MetricsCollector()
        collector.containers.configure(
            try ContainerMonitorSettings(
                endpoint: engine.endpoint, label: label, requestTimeoutSeconds: timeout, orphanThreshold: threshold,
                autoCleanup: autoCleanup))
        return Fixture(engine: engine, collector: collector)
    }

    func drainEvents(_ collector: MetricsCollector) -> [RuntimeEvent] {
        var events: [RuntimeEvent] = []
        while let event = collector.events.next(timeout: 0) { events.append(event) }
        return events
    }

    // MARK: Hooks

    @Test func createdThenStatsGiveMemoryThenCPUWithTheCLIFormula() async throws {
        let f = try await fixture()
        defer { f.stop() }
        f.engine.routes.withLockedValue {
            $0.stats[Self.running] = [PodmanFixtures.statsRunningFirst, PodmanFixtures.statsRunningSecond]
        }

        try f.monitor.recordCreated(id: Self.running)
        #expect(f.value(f.catalog.activeContainers) == 1)
        #expect(Deadline.wait(seconds: 10) { f.memory(Self.running) == 417_792 })
        #expect(f.cpu(Self.running) == nil)  // one sample: no CPU baseline yet

        #expect(Deadline.wait(seconds: 10) { f.monitor.status().queriesInFlight == 0 })
        try f.monitor.recordStats(id: Self.running)
        // (2920100747 - 2316156793) / (330669065994 - 328738355079) * 2 CPUs * 100
        let expected = 603_943_954.0 / 1_930_710_915.0 * 2 * 100
        #expect(Deadline.wait(seconds: 10) { f.cpu(Self.running).map { abs($0 - expected) < 1e-9 } == true })
        #expect(f.errors == 0)
        #expect(f.monitor.trackedIDs == [Self.running])
    }

    @Test func cleanupRemovesTheSeriesAndCountsTheOutcome() async throws {
        let f = try await fixture()
        defer { f.stop() }
        f.engine.routes.withLockedValue {
            $0.stats[Self.running] = [PodmanFixtures.statsRunningFirst, PodmanFixtures.statsRunningSecond]
        }
        try f.monitor.recordCreated(id: Self.running)
        try f.monitor.recordCreated(id: "other")
        #expect(f.value(f.catalog.activeContainers) == 2)
        #expect(Deadline.wait(seconds: 10) { f.memory(Self.running) != nil })

        try f.monitor.recordCleanup(id: Self.running, success: true)
        try f.monitor.recordCleanup(id: "other", success: false)
        try f.monitor.recordCleanup(id: "never-tracked", success: true)

        #expect(f.memory(Self.running) == nil)
        #expect(f.catalog.containerMemoryUsageBytes.seriesCount == 0)
        #expect(f.catalog.containerCPUUsagePercent.seriesCount == 0)
        #expect(f.value(f.catalog.activeContainers) == 0)
        #expect(f.value(f.catalog.containerCleanupSuccessTotal) == 2)
        #expect(f.value(f.catalog.containerCleanupFailureTotal) == 1)
        #expect(f.monitor.trackedIDs.isEmpty)
    }

    @Test func aLateAnswerDoesNotBringACleanedUpContainerBack() async throws {
        let f = try await fixture(timeout: 5)
        defer { f.stop() }
        f.engine.routes.withLockedValue {
            $0.mode = .slow
            $0.stats[Self.running] = [PodmanFixtures.statsRunningFirst]
        }
        try f.monitor.recordStats(id: Self.running)
        #expect(await f.engine.server.waitUntil { $0.received.count == 1 })
        try f.monitor.recordCleanup(id: Self.running, success: true)
        #expect(f.monitor.status().queriesInFlight == 1)
        // The answer arrives, well-formed, after the cleanup: it is dropped.
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().queriesInFlight == 0 })
        #expect(f.catalog.containerMemoryUsageBytes.seriesCount == 0)
        #expect(f.value(f.catalog.activeContainers) == 0)
        #expect(f.errors == 0)
    }

    @Test func aContainerTheEngineNoLongerKnowsIsDropped() async throws {
        let f = try await fixture()
        defer { f.stop() }
        try f.monitor.recordCreated(id: "gone")
        #expect(Deadline.wait(seconds: 10) { f.monitor.trackedIDs.isEmpty })
        #expect(f.value(f.catalog.activeContainers) == 0)
        #expect(f.errors == 0)
        #expect(f.value(f.catalog.containerCleanupSuccessTotal) == 0)
    }

    @Test func aStoppedContainerHasNoStatsAndThatIsNotAnError() async throws {
        let f = try await fixture()
        defer { f.stop() }
        f.engine.routes.withLockedValue { $0.stats[Self.exited] = [PodmanFixtures.statsExited] }
        try f.monitor.recordCreated(id: Self.exited)
        #expect(Deadline.wait(seconds: 10) { f.engine.count("GET /v1.41/containers/") == 1 })
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().queriesInFlight == 0 })
        #expect(f.memory(Self.exited) == nil)
        #expect(f.errors == 0)
        #expect(f.monitor.trackedIDs == [Self.exited])
    }

    @Test func engineErrorsKeepTheLastValuesCountAndWarnOnceUntilRecovery() async throws {
        let f = try await fixture()
        defer { f.stop() }
        f.engine.routes.withLockedValue { $0.stats[Self.running] = [PodmanFixtures.statsRunningFirst] }
        try f.monitor.recordStats(id: Self.running)
        #expect(Deadline.wait(seconds: 10) { f.memory(Self.running) == 417_792 })
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().queriesInFlight == 0 })

        f.engine.routes.withLockedValue { $0.mode = .failing }
        for round in 1...3 {
            try f.monitor.recordStats(id: Self.running)
            #expect(Deadline.wait(seconds: 10) { f.errors == Double(round) })
            #expect(Deadline.wait(seconds: 10) { f.monitor.status().queriesInFlight == 0 })
        }
        #expect(f.memory(Self.running) == 417_792)
        let status = f.monitor.status()
        #expect(status.engineFailing)
        #expect(status.errors == 3)
        #expect(status.lastError?.contains("engine broke") == true)
        let warnings = drainEvents(f.collector)
        #expect(warnings.count == 1)
        #expect(warnings.first?.level == .warning)
        #expect(warnings.first?.message.contains("last values stay exported") == true)
        #expect(warnings.first?.json.map { (try? JSONParser.parse($0))?["collector"] == .string("docker") } == true)

        f.engine.routes.withLockedValue { $0.mode = .normal }
        try f.monitor.recordStats(id: Self.running)
        #expect(Deadline.wait(seconds: 10) { !f.monitor.status().engineFailing })
        let recovered = drainEvents(f.collector)
        #expect(recovered.map(\.level) == [.info])
        #expect(f.errors == 3)
    }

    @Test func aStalledEngineTimesOutWhileHooksReturnAtOnce() async throws {
        let f = try await fixture(timeout: 0.2)
        defer { f.stop() }
        f.engine.routes.withLockedValue { $0.mode = .silent }
        try f.monitor.recordCreated(id: Self.running)
        // Coalesced with the query in flight: still one request.
        try f.monitor.recordStats(id: Self.running)
        #expect(f.value(f.catalog.activeContainers) == 1)
        #expect(Deadline.wait(seconds: 10) { f.errors == 1 })
        #expect(f.engine.count("GET") == 1)
        #expect(f.monitor.status().lastError?.contains("timed out") == true)
    }

    @Test func hookQueriesInFlightAreCapped() async throws {
        let f = try await fixture(timeout: 5)
        defer { f.stop() }
        f.engine.routes.withLockedValue { $0.mode = .silent }
        for index in 0..<(ContainerMonitor.maxQueriesInFlight + 10) {
            try f.monitor.recordStats(id: "c\(index)")
        }
        let status = f.monitor.status()
        #expect(status.queriesInFlight == ContainerMonitor.maxQueriesInFlight)
        #expect(status.trackedContainers == ContainerMonitor.maxQueriesInFlight + 10)
    }

    @Test(arguments: ["", "-leading-dash", "a/b", "a b", "é", String(repeating: "a", count: 129), "x\u{0}y"])
    func invalidContainerIDsAreRefusedAndChangeNothing(id: String) async throws {
        let f = try await fixture()
        defer { f.stop() }
        #expect(throws: ContainerMonitorError.self) { try f.monitor.recordCreated(id: id) }
        #expect(throws: ContainerMonitorError.self) { try f.monitor.recordStats(id: id) }
        #expect(throws: ContainerMonitorError.self) { try f.monitor.recordCleanup(id: id, success: true) }
        #expect(throws: ContainerMonitorError.self) { try f.monitor.removeContainer(id: id) }
        #expect(f.monitor.trackedIDs.isEmpty)
        #expect(f.value(f.catalog.containerCleanupSuccessTotal) == 0)
    }

    @Test(arguments: ["a", "sandbox_1", "b6b02bd0f876", running, "x.y-z_0", String(repeating: "a", count: 128)])
    func dockerIDsAndNamesAreAccepted(id: String) throws {
        try ContainerMonitor.validate(id)
    }

    // MARK: Status and settings

    @Test func statusIsJSONWithEveryField() async throws {
        let f = try await fixture()
        defer { f.stop() }
        let json = try JSONParser.parse(f.monitor.status().json)
        for key in [
            "endpoint", "label", "tracked_containers", "queries_in_flight", "polling", "poll_interval_seconds",
            "cycles_completed", "last_cycle_seconds", "last_cycle_containers", "engine_failing", "last_error", "errors",
            "orphaned_containers", "auto_removed",
        ] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["endpoint"]?.stringValue == f.engine.endpoint.description)
        #expect(json["orphaned_containers"]?.isNull == true)
    }

    @Test func theDefaultEngineComesFromTheEnvironmentOrTheStandardSocket() throws {
        let collector = try MetricsCollector()
        let expected =
            (try? DockerClient.resolveEndpoint(configured: nil, dockerHost: DockerClient.dockerHostFromEnvironment()))
            ?? .unix(path: DockerClient.defaultSocketPath)
        #expect(collector.containers.settings.endpoint == expected)
        #expect(collector.containers.settings.label == "finlab-sandbox")
        #expect(collector.containers.settings.orphanStatuses == ["exited", "dead"])
    }

    @Test func trackedKeysNameContainersByIdPrefixOrName() {
        let container = ContainerSummary(id: "0123456789abcdef", names: ["/sandbox-7"])
        #expect(ContainerMonitor.names(container, "0123456789abcdef"))
        #expect(ContainerMonitor.names(container, "0123456789ab"))
        #expect(!ContainerMonitor.names(container, "0123"))
        #expect(ContainerMonitor.names(container, "sandbox-7"))
        #expect(!ContainerMonitor.names(container, "sandbox"))
    }
}
