import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import FinMonCore

/// Background polling: cycles, auto-cleanup, stalls and stop (helpers in ContainerMonitorTests.swift).
extension ContainerMonitorTests {
    @Test func pollingQueriesEveryTrackedContainerAndTimesTheCycle() async throws {
        let f = try await fixture()
        defer { f.stop() }
        f.engine.routes.withLockedValue {
            for id in ["p1", "p2", "p3"] { $0.stats[id] = [PodmanFixtures.statsRunningFirst, PodmanFixtures.statsRunningSecond] }
        }
        for id in ["p1", "p2", "p3"] { try f.monitor.recordCreated(id: id) }
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().queriesInFlight == 0 })
        try f.monitor.startPolling(intervalSeconds: 0.05)
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().cyclesCompleted >= 2 })
        let status = f.monitor.status()
        #expect(status.polling)
        #expect(status.pollIntervalSeconds == 0.05)
        #expect(status.lastCycleContainers == 3)
        let cycle = try #require(status.lastCycleSeconds)
        #expect(cycle > 0)
        #expect(f.catalog.containerStatsCycleSeconds.value > 0)
        for id in ["p1", "p2", "p3"] { #expect(f.cpu(id) != nil) }
        #expect(f.value(f.catalog.orphanedContainers) == 1)
        #expect(f.monitor.status().autoRemoved == 0)  // 1 orphan < threshold 3

        f.monitor.stopPolling()
        #expect(!f.monitor.status().polling)
        let settled = f.engine.server.received.count
        let cycles = f.monitor.status().cyclesCompleted
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().queriesInFlight == 0 })
        // No cycle starts after stopPolling returned; at most the running one finishes.
        #expect(f.monitor.status().cyclesCompleted <= cycles + 1)
        #expect(f.engine.server.received.count <= settled + 4)
    }

    @Test func theFirstCycleRunsAtOnceAndRestartingReplacesTheSchedule() async throws {
        let f = try await fixture()
        defer { f.stop() }
        for _ in 0..<20 {
            let before = f.monitor.status().cyclesCompleted
            try f.monitor.startPolling(intervalSeconds: 3_600)
            #expect(Deadline.wait(seconds: 10) { f.monitor.status().cyclesCompleted == before + 1 })
        }
        #expect(f.monitor.status().pollIntervalSeconds == 3_600)
        f.monitor.stopPolling()
        f.monitor.stopPolling()  // twice is harmless
        #expect(!f.monitor.status().polling)
    }

    @Test func autoCleanupRemovesUntrackedOrphansOnceTheThresholdIsReached() async throws {
        let f = try await fixture(threshold: 2)
        defer { f.stop() }
        let list = PodmanFixtures.containersList.replacing("\"running\"", with: "\"dead\"")
        f.engine.routes.withLockedValue {
            $0.list = list
            $0.stats[Self.running] = [PodmanFixtures.statsExited]
        }
        // The running fixture container is now dead, but tracked: the loop's, not removed.
        try f.monitor.recordCreated(id: Self.running)
        try f.monitor.startPolling(intervalSeconds: 0.05)
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().autoRemoved >= 1 })
        #expect(f.engine.count("DELETE /v1.41/containers/\(Self.exited)") >= 1)
        #expect(f.engine.count("DELETE /v1.41/containers/\(Self.running)") == 0)
        #expect(f.value(f.catalog.containerCleanupSuccessTotal) >= 1)
    }

    @Test func autoCleanupOffOnlyCounts() async throws {
        let f = try await fixture(threshold: 1, autoCleanup: false)
        defer { f.stop() }
        try f.monitor.startPolling(intervalSeconds: 0.05)
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().cyclesCompleted >= 2 })
        #expect(f.engine.count("DELETE") == 0)
        #expect(f.value(f.catalog.orphanedContainers) == 1)
    }

    @Test func aFailingEngineCountsOneErrorPerCycleAndSkipsTheStats() async throws {
        let f = try await fixture()
        defer { f.stop() }
        f.engine.routes.withLockedValue { $0.mode = .hangUp }
        for id in ["q1", "q2"] { try f.monitor.recordCreated(id: id) }
        #expect(Deadline.wait(seconds: 10) { f.errors == 2 && f.monitor.status().queriesInFlight == 0 })
        try f.monitor.startPolling(intervalSeconds: 0.05)
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().cyclesCompleted >= 3 })
        f.monitor.stopPolling()
        let status = f.monitor.status()
        #expect(status.lastCycleContainers == 0)
        // One per hook query, then one per cycle (the list failed, the stats never went out).
        #expect(f.errors >= 2 + 3)
        #expect(f.engine.count("GET /v1.41/containers/q") == 2)
        #expect(drainEvents(f.collector).filter { $0.level == .warning }.count == 1)
    }

    @Test func anEngineThatStallsMidCycleStopsTheRestOfTheCycle() async throws {
        let f = try await fixture(timeout: 0.3)
        defer { f.stop() }
        let ids = (0..<40).map { "s\($0)" }
        f.engine.routes.withLockedValue { routes in
            for id in ids { routes.stats[id] = [PodmanFixtures.statsRunningFirst] }
        }
        for id in ids { try f.monitor.recordCreated(id: id) }
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().queriesInFlight == 0 && f.memory("s39") != nil })
        let before = f.engine.count("GET /v1.41/containers/s")
        // The list still answers; every stats query hangs until its timeout.
        f.engine.routes.withLockedValue { $0.statsMode = .silent }
        try f.monitor.startPolling(intervalSeconds: 60)
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().cyclesCompleted == 1 })
        // The first window timed out; the other containers were not asked.
        #expect(f.engine.count("GET /v1.41/containers/s") == before + ContainerMonitor.statsWindow)
        let status = f.monitor.status()
        #expect(status.lastCycleContainers == ContainerMonitor.statsWindow)
        #expect(status.queriesInFlight == 0)
        #expect(status.errors == 1)
        #expect(f.monitor.trackedIDs.count == ids.count)
        #expect(f.memory("s39") == 417_792)
    }

    @Test func stopDropsAnswersOnTheirWayAndCancelsPolling() async throws {
        let f = try await fixture(timeout: 5)
        defer { f.stop() }
        f.engine.routes.withLockedValue { $0.mode = .silent }
        try f.monitor.recordCreated(id: "late")
        try f.monitor.startPolling(intervalSeconds: 0.05)
        #expect(await f.engine.server.waitUntil { $0.received.count >= 2 })
        f.collector.stop()
        let status = f.monitor.status()
        #expect(!status.polling)
        #expect(status.queriesInFlight == 0)
        #expect(status.errors == 0)  // failures caused by the shutdown are not the engine's
        #expect(f.monitor.trackedIDs == ["late"])
        // The runtime starts again on the next use.
        f.engine.routes.withLockedValue { $0.mode = .normal; $0.stats["late"] = [PodmanFixtures.statsRunningFirst] }
        try f.monitor.recordStats(id: "late")
        #expect(Deadline.wait(seconds: 10) { f.memory("late") == 417_792 })
    }

    @Test(arguments: [0.0, -1, .nan, .infinity, 0.001, 100_000])
    func pollingIntervalsOutOfRangeAreRefused(interval: Double) async throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        #expect(throws: ContainerMonitorError.self) {
            try collector.containers.startPolling(intervalSeconds: interval)
        }
        #expect(!collector.containers.status().polling)
    }

    @Test func forgettingThreadsAfterForkResetsTheSchedule() async throws {
        let f = try await fixture()
        defer { f.stop() }
        try f.monitor.startPolling(intervalSeconds: 30)
        f.monitor.forgetThreadsAfterFork()
        #expect(!f.monitor.status().polling)
    }
}
