import Glibc
import NIOCore
import NIOPosix
import Testing
@testable import FinMonCore

/// One exporter on its own event loop; every test gets a fresh one on an ephemeral port.
private final class Fixture {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let registry = MetricsRegistry()
    let events = EventQueue()
    let exporter: MetricsExporter
    let gauge: Series

    init() throws {
        exporter = MetricsExporter(registry: registry, eventLoop: group.next(), events: events)
        gauge = try registry.register(.gauge, name: "test_gauge", help: "A gauge the test sets.").labels([])
    }

    func start(port: Int = 0, retry: TimeAmount = .seconds(5)) throws -> Int? {
        try exporter.start(host: "127.0.0.1", port: port, retryInterval: retry)
    }

    deinit {
        exporter.stop()
        try? group.syncShutdownGracefully()
    }
}

@Suite(.serialized) struct MetricsExporterTests {
    @Test func servesMetricsInTheTextFormat() throws {
        let fixture = try Fixture()
        try fixture.gauge.set(42.5)
        let port = try #require(try fixture.start())
        #expect(port > 0)
        #expect(fixture.exporter.status == .serving(port: port))
        let response = try TestHTTPClient(port: port).request("/metrics")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.header("Content-Encoding") == nil)
        #expect(response.text.contains("# TYPE test_gauge gauge\ntest_gauge 42.5\n"))
        #expect(!response.text.contains("# EOF"))
        #expect(response.text == TextExposition.renderString(fixture.registry, format: .prometheusText))
    }

    @Test func servesOpenMetricsWhenAsked() throws {
        let fixture = try Fixture()
        let port = try #require(try fixture.start())
        let prometheusAccept = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
        let response = try TestHTTPClient(port: port).request("/metrics", headers: [("Accept", prometheusAccept)])
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        #expect(response.text.hasSuffix("# EOF\n"))
        #expect(response.text.contains("test_gauge 0.0\n"))
    }

    @Test func gzipsWhenTheScraperAcceptsIt() throws {
        let fixture = try Fixture()
        try fixture.gauge.set(7)
        let port = try #require(try fixture.start())
        let client = try TestHTTPClient(port: port)
        let plain = try client.request("/metrics")
        let zipped = try client.request("/metrics", headers: [("Accept-Encoding", "gzip, deflate")])
        #expect(zipped.status == 200)
        #expect(zipped.header("Content-Encoding") == "gzip")
        #expect(zipped.header("Vary") == "Accept-Encoding")
        #expect(zipped.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let inflated = try #require(Gunzip.decompress(zipped.body))
        #expect(inflated == plain.body)
        #expect(String(decoding: inflated, as: UTF8.self).contains("test_gauge 7.0\n"))
        let refused = try client.request("/metrics", headers: [("Accept-Encoding", "gzip;q=0")])
        #expect(refused.header("Content-Encoding") == nil)
        #expect(refused.body == plain.body)
    }

    @Test func answersHealthzUnknownPathsAndOtherMethods() throws {
        let fixture = try Fixture()
        let port = try #require(try fixture.start())
        let client = try TestHTTPClient(port: port)
        let health = try client.request("/healthz")
        #expect(health.status == 200)
        #expect(health.text == "ok\n")
        let missing = try client.request("/nope")
        #expect(missing.status == 404)
        let post = try client.request("/metrics", method: "POST", body: "x=1")
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
        let withQuery = try client.request("/metrics?x=1")
        #expect(withQuery.status == 200)
        #expect(try client.request("/").text.contains("/metrics"))
    }

    @Test func keepsTheConnectionAliveBetweenRequests() throws {
        let fixture = try Fixture()
        let port = try #require(try fixture.start())
        let client = try TestHTTPClient(port: port)
        try fixture.gauge.set(1)
        let first = try client.request("/metrics")
        try fixture.gauge.set(2)
        let second = try client.request("/metrics")
        #expect(first.status == 200 && second.status == 200)
        #expect(first.header("Connection") == nil)
        #expect(first.text.contains("test_gauge 1.0\n"))
        #expect(second.text.contains("test_gauge 2.0\n"))
    }

    @Test func closesTheConnectionWhenTheClientAsks() throws {
        let fixture = try Fixture()
        let port = try #require(try fixture.start())
        let client = try TestHTTPClient(port: port)
        let response = try client.request("/healthz", headers: [("Connection", "close")])
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(throws: TestSocketError.self) { try client.request("/healthz") }
    }

    @Test func busyPortDegradesWarnsAndRecoversOnceFree() throws {
        let fixture = try Fixture()
        let (listener, busyPort) = try TestSocket.listen()
        var listenerOpen = true
        defer { if listenerOpen { close(listener) } }

        #expect(try fixture.start(port: busyPort, retry: .milliseconds(200)) == nil)
        guard case .degraded(let reason) = fixture.exporter.status else {
            Issue.record("status is \(fixture.exporter.status), not degraded")
            return
        }
        #expect(reason.contains("\(busyPort)"))
        let warning = try #require(fixture.events.next(timeout: 10))
        #expect(warning.level == .warning)
        #expect(warning.logger == "finmon")
        #expect(warning.message.contains("Metrics export disabled, Prometheus unavailable"))
        #expect(warning.json == "{\"port\":\(busyPort)}")
        // Retries that fail again do not repeat the warning.
        #expect(fixture.events.next(timeout: 0.5) == nil)

        close(listener)
        listenerOpen = false
        let served = Deadline.wait(seconds: 10) { fixture.exporter.status == .serving(port: busyPort) }
        #expect(served)
        let enabled = try #require(fixture.events.next(timeout: 10))
        #expect(enabled.level == .info)
        #expect(enabled.message == "Metrics export enabled on 127.0.0.1:\(busyPort)")
        #expect(try TestHTTPClient(port: busyPort).request("/healthz").status == 200)

        fixture.exporter.stop()
        #expect(fixture.exporter.status == .stopped)
    }

    @Test func stoppingWhileDegradedEndsTheRetries() throws {
        let fixture = try Fixture()
        let (listener, busyPort) = try TestSocket.listen()
        #expect(try fixture.start(port: busyPort, retry: .milliseconds(100)) == nil)
        fixture.exporter.stop()
        #expect(fixture.exporter.status == .stopped)
        close(listener)
        // Several retry intervals later nothing has bound the port behind our back.
        #expect(!Deadline.wait(seconds: 0.6) { fixture.exporter.status != .stopped })
        let (again, _) = try TestSocket.listen(port: busyPort)
        close(again)
    }

    @Test func stopsAndStartsAgain() throws {
        let fixture = try Fixture()
        let first = try #require(try fixture.start())
        #expect(throws: MetricsExporter.StartError.self) { try fixture.start() }
        fixture.exporter.stop()
        #expect(fixture.exporter.status == .stopped)
        #expect(throws: TestSocketError.self) { try TestHTTPClient(port: first) }
        fixture.exporter.stop()  // a second stop is harmless
        let second = try #require(try fixture.start())
        #expect(fixture.exporter.status == .serving(port: second))
        #expect(try TestHTTPClient(port: second).request("/healthz").status == 200)
        fixture.exporter.stop()
        #expect(fixture.exporter.status == .stopped)
    }

    @Test func refusesAPortOutOfRange() throws {
        let fixture = try Fixture()
        #expect(throws: MetricsExporter.StartError.self) { try fixture.start(port: 65_536) }
        #expect(throws: MetricsExporter.StartError.self) { try fixture.start(port: -1) }
        #expect(fixture.exporter.status == .stopped)
    }
}
