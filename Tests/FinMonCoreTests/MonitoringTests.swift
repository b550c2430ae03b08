import Glibc
import Testing
@testable import FinMonCore

@Suite(.serialized) struct MonitoringTests {
    @Test func aNewMonitoringHasTheCatalogAndNoThreadsToStop() throws {
        let monitoring = try Monitoring()
        #expect(monitoring.registry.family(named: "system_memory_usage_bytes") === monitoring.catalog.systemMemoryUsageBytes)
        #expect(monitoring.events.count == 0)
        monitoring.stop()  // nothing started: nothing to join
        monitoring.stopExporter()
    }

    @Test func maxSeriesPerFamilyReachesTheRegistry() throws {
        let monitoring = try Monitoring(maxSeriesPerFamily: 5)
        #expect(monitoring.registry.maxSeriesPerFamily == 5)
        #expect(monitoring.catalog.containerMemoryUsageBytes.maxSeries == 5)
    }

    @Test func startsStopsAndStartsTheExporterAgain() throws {
        let monitoring = try Monitoring()
        defer { monitoring.stop() }
        try monitoring.catalog.loopIteration.labels([]).set(12)
        let first = try #require(try monitoring.startExporter(port: 0))
        let firstExporter = monitoring.exporter
        #expect(firstExporter.status == .serving(port: first))
        let scrape = try TestHTTPClient(port: first).request("/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.text.contains("loop_iteration 12.0\n"))

        monitoring.stop()
        #expect(firstExporter.status == .stopped)
        #expect(throws: TestSocketError.self) { try TestHTTPClient(port: first) }
        monitoring.stop()  // twice is harmless

        let second = try #require(try monitoring.startExporter(port: 0))
        #expect(monitoring.exporter !== firstExporter)  // new threads, new exporter
        let again = try TestHTTPClient(port: second).request("/metrics")
        #expect(again.text.contains("loop_iteration 12.0\n"))
    }

    @Test func stopExporterKeepsTheThreadsForTheNextStart() throws {
        let monitoring = try Monitoring()
        defer { monitoring.stop() }
        let first = try #require(try monitoring.startExporter(port: 0))
        let exporter = monitoring.exporter
        monitoring.stopExporter()
        #expect(exporter.status == .stopped)
        #expect(throws: TestSocketError.self) { try TestHTTPClient(port: first) }
        let second = try #require(try monitoring.startExporter(port: 0))
        #expect(monitoring.exporter === exporter)
        #expect(try TestHTTPClient(port: second).request("/healthz").status == 200)
    }

    @Test func startsAgainAfterForgettingThreadsAsAForkedChildWould() throws {
        let monitoring = try Monitoring()
        defer { monitoring.stop() }
        try #require(try monitoring.startExporter(port: 0) != nil)
        let orphan = monitoring.exporter
        monitoring.forgetThreadsAfterFork()
        #expect(orphan.status == .stopped)
        let port = try #require(try monitoring.startExporter(port: 0))
        #expect(monitoring.exporter !== orphan)
        #expect(monitoring.exporter.status == .serving(port: port))
        #expect(try TestHTTPClient(port: port).request("/healthz").status == 200)
        monitoring.forgetThreadsAfterFork()
        monitoring.forgetThreadsAfterFork()  // nothing left to forget
    }

    @Test func busyPortDegradesAndReportsThroughTheEventQueue() throws {
        let monitoring = try Monitoring()
        defer { monitoring.stop() }
        let (listener, busyPort) = try TestSocket.listen()
        defer { close(listener) }
        #expect(try monitoring.startExporter(port: busyPort, retryInterval: 0.2) == nil)
        let warning = try #require(monitoring.events.next(timeout: 10))
        #expect(warning.level == .warning)
        #expect(warning.message.contains("Metrics export disabled, Prometheus unavailable"))
        #expect(warning.message.contains("retrying every 0.2 s"))
    }

    @Test func nonsenseRetryIntervalsFallBackToTheDefault() throws {
        let monitoring = try Monitoring()
        defer { monitoring.stop() }
        let (listener, busyPort) = try TestSocket.listen()
        defer { close(listener) }
        #expect(try monitoring.startExporter(port: busyPort, retryInterval: .nan) == nil)
        let warning = try #require(monitoring.events.next(timeout: 10))
        #expect(warning.message.contains("retrying every 5.0 s"))
        monitoring.stopExporter()
        #expect(try monitoring.startExporter(port: busyPort, retryInterval: 1e300) == nil)
        let capped = try #require(monitoring.events.next(timeout: 10))
        #expect(capped.message.contains("retrying every 3600.0 s"))
    }
}
