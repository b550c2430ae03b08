import Glibc
import Testing
@testable import FinMonCore

/// The page's document, its routes on a real exporter, and the report written at stop.
@Suite(.serialized) struct LivePageTests {
    private typealias Support = ConfigTestSupport

    @Test func theDocumentCarriesDygraphsThePanelsAndTheScriptWithNoMarkerLeft() throws {
        let page = LivePage(history: MetricsHistory(registry: MetricsRegistry(), threads: CollectorThreads(
            registry: MetricsRegistry(), events: EventQueue())), metricsPath: "/m")
        let html = String(decoding: page.html, as: UTF8.self)
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains("@license https://github.com/danvk/dygraphs/blob/v2.2.1/LICENSE.txt (MIT)"))
        #expect(html.contains("\"title\": \"Resource Usage\""))
        #expect(html.contains("\"metrics_path\": \"/m\""))
        #expect(html.contains("function drawChart"))
        #expect(!html.contains("@@PAGE_JS@@") && !html.contains("@@HISTORY_JS@@") && !html.contains("@@DATA@@") && !html.contains("@@PANELS@@"))
        let zipped = try #require(page.gzippedHTML)
        #expect(Gunzip.decompress(zipped) == page.html)
        #expect(zipped.count < page.html.count / 2)
    }

    @Test func requestsRacingForTheFirstBuildAllGetTheSamePage() async throws {
        // Built on the first request, not at start (issue #16): whichever of several
        // concurrent requests comes first builds it, and all see the same bytes.
        let page = LivePage(history: MetricsHistory(registry: MetricsRegistry(), threads: CollectorThreads(
            registry: MetricsRegistry(), events: EventQueue())), metricsPath: "/m")
        let pages = await withTaskGroup(of: ([UInt8], [UInt8]?).self) { group in
            for _ in 0..<8 { group.addTask { (page.html, page.gzippedHTML) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(pages.count == 8)
        let first = try #require(pages.first)
        #expect(String(decoding: first.0, as: UTF8.self).contains("\"metrics_path\": \"/m\""))
        for other in pages {
            #expect(other.0 == first.0)
            #expect(other.1 == first.1)
        }
    }

    @Test func fillReplacesKnownMarkersOnly() {
        let out = LivePage.fill(Array("a@@X@@b@@Y@@c@@x@@d@".utf8), ["X": Array("1".utf8)])
        #expect(String(decoding: out, as: UTF8.self) == "a1b@@Y@@c@@x@@d@")
    }

    @Test func scriptJSONCannotCloseItsElement() {
        let escaped = LivePage.escapedForScript(Array("{\"m\": \"</script><b>\"}".utf8))
        #expect(String(decoding: escaped, as: UTF8.self) == "{\"m\": \"<\\/script><b>\"}")
    }

    @Test func afterIsReadFromTheQuery() {
        #expect(LivePage.after(in: "after=12.5") == 12.5)
        #expect(LivePage.after(in: "x=1&after=3") == 3)
        #expect(LivePage.after(in: "after=nan") == nil)
        #expect(LivePage.after(in: "after=") == nil)
        #expect(LivePage.after(in: nil) == nil)
        #expect(LivePage.names(in: "names=a,b_total&after=1") == ["a", "b_total"])
        #expect(LivePage.names(in: "names=") == [])
        #expect(LivePage.names(in: "after=1") == nil)
    }

    @Test func theExporterServesThePageAndTheHistory() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        collector.catalog.populationDiversity.set(0.25)
        let port = try #require(try collector.startExporter(port: 0))
        #expect(Deadline.wait(seconds: 10) { collector.history.sampleCount >= 1 })
        let client = try TestHTTPClient(port: port)
        let page = try client.request("/")
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.text.contains("id=\"quadrants\""))
        let zipped = try client.request("/", headers: [("Accept-Encoding", "gzip")])
        #expect(zipped.header("Content-Encoding") == "gzip")
        #expect(Gunzip.decompress(zipped.body) == page.body)
        let history = try client.request("/api/history")
        #expect(history.status == 200)
        #expect(history.header("Content-Type") == "application/json")
        #expect(history.header("Cache-Control") == "no-store")
        let doc = try JSONParser.parse(history.body, maxBytes: 1 << 26)
        let series = try #require(doc["series"]?.arrayValue)
        let diversity = try #require(series.first { $0["name"]?.stringValue == "population_diversity" })
        #expect(diversity["values"]?.arrayValue?.last?.doubleValue == 0.25)
        let newest = try #require(doc["times"]?.arrayValue?.last?.doubleValue)
        let none = try JSONParser.parse(try client.request("/api/history?after=\(newest + 3_600)").body)
        #expect(none["times"]?.arrayValue?.isEmpty == true)
        let some = try JSONParser.parse(try client.request("/api/history?names=population_diversity,loop_iteration").body)
        let names = try #require(some["series"]?.arrayValue).compactMap { $0["name"]?.stringValue }
        #expect(names == ["loop_iteration", "population_diversity"])
        #expect(try client.request("/metrics").status == 200)
        #expect(try client.request("/nothing").status == 404)
    }

    @Test func stopWritesTheReportBesideTheFinalRecordAndTheReportCanBeRebuilt() throws {
        let dir = try Support.TemporaryDirectory()
        defer { dir.remove() }
        let config = try MonitoringConfig.parse(text: """
            monitoring:
              prometheus: {port: 0}
              resource_monitor: {enabled: false}
              container_monitor: {enabled: false}
              alerts: {enabled: false}
              export: {directory: "\(dir.path)", report_path: run.html}
            grafana: {refresh_interval: 100ms}
            """)
        let runtime = try Runtime.start(config: config)
        let collector = try #require(runtime.collector)
        #expect(collector.history.settings.intervalSeconds == 0.1)
        #expect(collector.history.settings.thresholds["monitoring.alerts.cpu_threshold_percent"] == 90)
        try collector.diversity.recordChampionUpdate(iteration: 4, oldSharpe: nil, newSharpe: 1.75)
        #expect(Deadline.wait(seconds: 10) { collector.history.sampleCount >= 2 })
        #expect(runtime.stop() == nil)
        let json = try Support.read(dir.path + "/metrics_final.json")
        #expect(json.contains("\"history\": {\"now\": "))
        #expect(json.contains("\"champions\": [{\"time\": "))
        let report = try Support.read(dir.path + "/run.html")
        #expect(report.contains("{\"mode\": \"report\"}"))
        #expect(report.contains("\"iteration\": 4, \"sharpe\": 1.75"))
        // Rebuilt from the JSON alone: the same page.
        try RunReport.write(finalJSON: dir.path + "/metrics_final.json", to: dir.path + "/again.html")
        #expect(try Support.read(dir.path + "/again.html") == report)
        #expect(throws: RunReport.Failure.self) {
            try RunReport.write(finalJSON: dir.path + "/run.html", to: dir.path + "/x.html")
        }
        try Support.write("{\"metrics\": []}", to: dir.path + "/old.json")
        #expect(throws: RunReport.Failure.notFinalRecord(
            path: dir.path + "/old.json", reason: "no \"history\" (a run without history sampling, or an older finmon)")) {
            try RunReport.write(finalJSON: dir.path + "/old.json", to: dir.path + "/x.html")
        }
        #expect(access(dir.path + "/x.html", F_OK) != 0)
    }
}
