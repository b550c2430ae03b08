import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import FinMonCore

/// Orphan scans and removals through the engine double (helpers in ContainerMonitorTests.swift).
extension ContainerMonitorTests {
    @Test func scanFindsTheLabelledExitedContainer() async throws {
        let f = try await fixture()
        defer { f.stop() }
        #expect(try f.monitor.scanOrphans() == [Self.exited])
        #expect(f.value(f.catalog.orphanedContainers) == 1)
        #expect(f.monitor.status().orphanedContainers == 1)
        // The label filter went to the engine as JSON; status is filtered locally.
        let line = f.engine.server.received.last?.requestLine ?? ""
        #expect(line.contains("filters=%7B%22label%22%3A%5B%22finlab-sandbox%22%5D%7D"))
    }

    @Test(arguments: [("fmdock=1", 1), ("fmdock=2", 0), ("nolabel", 0)])
    func labelValuesAreMatchedToo(label: String, orphans: Int) async throws {
        let f = try await fixture(label: label)
        defer { f.stop() }
        #expect(try f.monitor.scanOrphans().count == orphans)
    }

    @Test func cleanupRemovesOrphansCountsAndForgetsTrackedOnes() async throws {
        let f = try await fixture()
        defer { f.stop() }
        let short = String(Self.exited.prefix(12))
        f.engine.routes.withLockedValue { $0.stats[short] = [PodmanFixtures.statsExited] }
        try f.monitor.recordCreated(id: short)
        #expect(Deadline.wait(seconds: 10) { f.monitor.status().queriesInFlight == 0 })
        #expect(try f.monitor.cleanupOrphans() == 1)
        #expect(f.value(f.catalog.containerCleanupSuccessTotal) == 1)
        #expect(f.value(f.catalog.orphanedContainers) == 0)
        #expect(f.monitor.trackedIDs.isEmpty)
        #expect(f.engine.count("DELETE /v1.41/containers/\(Self.exited)") == 1)
        #expect(f.engine.server.received.last?.requestLine.contains("?force=1") == true)
    }

    @Test func refusedAndVanishedRemovalsAreCountedApart() async throws {
        let f = try await fixture()
        defer { f.stop() }
        let list = PodmanFixtures.containersList.replacing("\"running\"", with: "\"dead\"")
        f.engine.routes.withLockedValue {
            $0.list = list
            $0.deletes = [Self.running: "500 Internal Server Error", Self.exited: "404 Not Found"]
        }
        #expect(try f.monitor.cleanupOrphans() == 0)
        #expect(f.value(f.catalog.containerCleanupSuccessTotal) == 0)
        #expect(f.value(f.catalog.containerCleanupFailureTotal) == 1)
        #expect(f.value(f.catalog.orphanedContainers) == 1)  // the refused one is still there
    }

    @Test func scanFailuresThrowAndCount() async throws {
        let f = try await fixture()
        defer { f.stop() }
        f.engine.routes.withLockedValue { $0.mode = .failing }
        #expect(throws: ContainerMonitorError.docker(.engine(status: 500, message: "engine broke"))) {
            try f.monitor.scanOrphans()
        }
        #expect(throws: ContainerMonitorError.self) { try f.monitor.cleanupOrphans() }
        #expect(f.errors == 2)
        #expect(drainEvents(f.collector).count == 1)
    }

    @Test func anUnreachableEngineIsATransportError() async throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        collector.containers.configure(
            try ContainerMonitorSettings(endpoint: .unix(path: CannedHTTPServer.uniqueSocketPath())))
        #expect {
            try collector.containers.scanOrphans()
        } throws: { error in
            guard case .docker(.transport(.connectFailed))? = error as? ContainerMonitorError else { return false }
            return true
        }
        #expect(throws: ContainerMonitorError.self) { try collector.containers.removeContainer(id: "abc") }
        #expect(collector.catalog.containerCleanupFailureTotal.value == 1)
        #expect(collector.containers.status().errors == 2)
    }

    @Test func removeContainerRecordsTheCleanup() async throws {
        let f = try await fixture()
        defer { f.stop() }
        f.engine.routes.withLockedValue {
            $0.deletes = ["gone": "404 Not Found", "stuck": "409 Conflict"]
            $0.stats["c1"] = [PodmanFixtures.statsRunningFirst]
        }
        try f.monitor.recordCreated(id: "c1")
        #expect(Deadline.wait(seconds: 10) { f.memory("c1") != nil })
        #expect(try f.monitor.removeContainer(id: "c1"))
        #expect(f.memory("c1") == nil)
        #expect(try f.monitor.removeContainer(id: "gone") == false)
        #expect(throws: ContainerMonitorError.docker(.engine(status: 409, message: "refused"))) {
            try f.monitor.removeContainer(id: "stuck")
        }
        #expect(f.value(f.catalog.containerCleanupSuccessTotal) == 2)
        #expect(f.value(f.catalog.containerCleanupFailureTotal) == 1)
        #expect(f.value(f.catalog.activeContainers) == 0)
        #expect(f.errors == 0)  // the engine answered every time
    }

    @Test func blockingCallsRefuseToRunOnTheEventLoop() async throws {
        let f = try await fixture()
        defer { f.stop() }
        let outcome = try await f.collector.eventLoop.submit { () -> String in
            do {
                _ = try f.monitor.scanOrphans()
                return "returned"
            } catch {
                return "\(error)"
            }
        }.get()
        #expect(outcome.contains("blocking HTTP call made on an event loop thread"))
    }
}
