import Glibc
import Testing
@testable import FinMonCore

@Suite(.serialized) struct MetricsCollectorTests {
    @Test func aNewMonitoringHasTheCatalogAndNoThreadsToStop() throws {
        let collector = try MetricsCollector()
        #expect(
            collector.registry.family(named: "system_memory_usage_bytes")?.existingSeries([])
                === collector.catalog.systemMemoryUsageBytes.series)
        #expect(collector.events.count == 0)
        collector.stop()  // nothing started: nothing to join
        collector.stopExporter()
    }

    @Test func maxSeriesPerFamilyReachesTheRegistry() throws {
        let collector = try MetricsCollector(maxSeriesPerFamily: 5)
        #expect(collector.registry.maxSeriesPerFamily == 5)
        #expect(collector.catalog.containerMemoryUsageBytes.family.maxSeries == 5)
    }

    @Test func startsStopsAndStartsTheExporterAgain() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        collector.catalog.loopIteration.set(12)
        let first = try #require(try collector.startExporter(port: 0))
        let firstExporter = collector.exporter
        #expect(firstExporter.status == .serving(port: first))
        let scrape = try TestHTTPClient(port: first).request("/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.text.contains("loop_iteration 12.0\n"))

        collector.stop()
        #expect(firstExporter.status == .stopped)
        #expect(throws: TestSocketError.self) { try TestHTTPClient(port: first) }
        collector.stop()  // twice is harmless

        let second = try #require(try collector.startExporter(port: 0))
        #expect(collector.exporter !== firstExporter)  // new threads, new exporter
        let again = try TestHTTPClient(port: second).request("/metrics")
        #expect(again.text.contains("loop_iteration 12.0\n"))
    }

    @Test func stopExporterKeepsTheThreadsForTheNextStart() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        let first = try #require(try collector.startExporter(port: 0))
        let exporter = collector.exporter
        collector.stopExporter()
        #expect(exporter.status == .stopped)
        #expect(throws: TestSocketError.self) { try TestHTTPClient(port: first) }
        let second = try #require(try collector.startExporter(port: 0))
        #expect(collector.exporter === exporter)
        #expect(try TestHTTPClient(port: second).request("/healthz").status == 200)
    }

    @Test func startsAgainAfterForgettingThreadsAsAForkedChildWould() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        try #require(try collector.startExporter(port: 0) != nil)
        let orphan = collector.exporter
        collector.forgetThreadsAfterFork()
        #expect(orphan.status == .stopped)
        let port = try #require(try collector.startExporter(port: 0))
        #expect(collector.exporter !== orphan)
        #expect(collector.exporter.status == .serving(port: port))
        #expect(try TestHTTPClient(port: port).request("/healthz").status == 200)
        collector.forgetThreadsAfterFork()
        collector.forgetThreadsAfterFork()  // nothing left to forget
    }

    @Test func busyPortDegradesAndReportsThroughTheEventQueue() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        let (listener, busyPort) = try TestSocket.listen()
        defer { close(listener) }
        #expect(try collector.startExporter(port: busyPort, retryInterval: 0.2) == nil)
        let warning = try #require(collector.events.next(timeout: 10))
        #expect(warning.level == .warning)
        #expect(warning.message.contains("Metrics export disabled, Prometheus unavailable"))
        #expect(warning.message.contains("retrying every 0.2 s"))
    }

    @Test func nonsenseRetryIntervalsFallBackToTheDefault() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        let (listener, busyPort) = try TestSocket.listen()
        defer { close(listener) }
        #expect(try collector.startExporter(port: busyPort, retryInterval: .nan) == nil)
        let warning = try #require(collector.events.next(timeout: 10))
        #expect(warning.message.contains("retrying every 5.0 s"))
        collector.stopExporter()
        #expect(try collector.startExporter(port: busyPort, retryInterval: 1e300) == nil)
        let capped = try #require(collector.events.next(timeout: 10))
        #expect(capped.message.contains("retrying every 3600.0 s"))
    }
}
