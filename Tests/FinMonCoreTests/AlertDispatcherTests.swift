import Glibc
import Synchronization
import Testing
@testable import FinMonCore

/// Delivery through the alert manager to real sockets: a canned HTTP server plays
/// Alertmanager or a webhook (a real Alertmanager is exercised by the Python integration
/// tests), so failures a real server will not produce on demand (503, 400, silence) can
/// be played too.
@Suite(.serialized) struct AlertDispatcherTests {
    private typealias JSON = ConfigTestSupport.JSON

    /// Short timeouts and backoff so retries happen within a test's patience.
    private static let quick = AlertDeliveryPolicy(
        requestTimeoutSeconds: 0.5, backoffBaseSeconds: 0.05, backoffCapSeconds: 0.2, webhookQueueCapacity: 3)

    private func url(_ server: CannedHTTPServer, path: String = "") -> String {
        guard case .tcp(let host, let port) = server.endpoint else { return "" }
        return "http://\(host):\(port)\(path)"
    }

    private func posted(_ request: CannedHTTPServer.Received) -> [JSON] {
        guard case .array(let items)? = try? JSON.parse(String(decoding: request.body, as: UTF8.self)) else { return [] }
        return items
    }

    private func notifications(_ fixture: AlertManagerFixture, _ receiver: String, _ result: String) -> Double? {
        fixture.sample("alert_notifications_total", ["receiver": receiver, "result": result])
    }

    /// A free loopback port with nothing listening on it (bound, then closed).
    private func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func firingThenResolvedReachAlertmanagerAsAPIv2Posts() async throws {
        let server = try await CannedHTTPServer.tcp { _ in .http(body: "") }
        defer { server.stop() }
        let fixture = try AlertManagerFixture(policy: Self.quick) {
            $0.testSet("monitoring.alerts.alertmanager.url", .string(url(server, path: "/am/")))
            $0.testSet("monitoring.alerts.alertmanager.labels", ["env": "test"])
        }
        defer { fixture.close() }
        #expect(notifications(fixture, "alertmanager", "success") == 0)
        #expect(notifications(fixture, "webhook", "success") == nil)  // not configured: no series

        try fixture.alerts.inject(.memoryPercent, 90)
        let fired = try fixture.alerts.evaluate()
        #expect(await server.waitUntil { $0.received.count >= 1 })
        let first = try #require(server.received.first)
        #expect(first.requestLine == "POST /am/api/v2/alerts HTTP/1.1")
        #expect(first.header("content-type") == "application/json")
        let alert = try #require(posted(first).first)
        #expect(alert["labels"]?["alertname"] == .string("high_memory"))
        #expect(alert["labels"]?["env"] == .string("test"))
        // The labels Prometheus gives the same alert from the generated rules and prometheus.yml.
        #expect(alert["labels"]?["instance"] == .string("127.0.0.1:8000"))
        #expect(alert["labels"]?["job"] == .string("finmon"))
        #expect(alert["labels"]?["alert_type"] == .string("high_memory"))
        #expect(alert["labels"]?["severity"] == .string("critical"))
        #expect(alert["startsAt"] == .string(try #require(fired.first?.startsAt)))
        #expect(Deadline.wait(seconds: 10) { notifications(fixture, "alertmanager", "success") == 1 })
        #expect(fixture.alerts.deliveryStatus.alertmanagerInSync)
        #expect(fixture.alerts.deliveryStatus.alertmanagerPending == 1)

        try fixture.alerts.inject(.memoryPercent, 20)
        let resolved = try fixture.alerts.evaluate()
        #expect(await server.waitUntil { $0.received.count >= 2 })
        let second = try #require(posted(server.received[1]).first)
        #expect(second["endsAt"] == .string(try #require(resolved.first?.timestamp)))
        #expect(Deadline.wait(seconds: 10) { fixture.alerts.deliveryStatus.alertmanagerPending == 0 })
        #expect(notifications(fixture, "alertmanager", "success") == 2)
    }

    @Test func firingAlertsAreResentEveryResendInterval() async throws {
        let server = try await CannedHTTPServer.tcp { _ in .http(body: "") }
        defer { server.stop() }
        let fixture = try AlertManagerFixture(policy: Self.quick) {
            $0.testSet("monitoring.alerts.alertmanager.url", .string(url(server)))
            $0.testSet("monitoring.alerts.alertmanager.resend_interval", 0.05)
        }
        defer { fixture.close() }
        try fixture.alerts.inject(.cpuPercent, 99)
        _ = try fixture.alerts.evaluate()
        #expect(await server.waitUntil { $0.received.count >= 3 })
        // Each re-post carries the alert, with endsAt pushed on.
        let ends = server.received.prefix(3).compactMap { posted($0).first?["endsAt"] }
        #expect(ends.count == 3 && Set(ends.map { "\($0)" }).count >= 2)
        try fixture.alerts.inject(.cpuPercent, 1)
        _ = try fixture.alerts.evaluate()
        #expect(Deadline.wait(seconds: 10) { fixture.alerts.deliveryStatus.alertmanagerPending == 0 })
        let settled = server.received.count
        // Nothing fires any more: no further posts however long one waits for them.
        #expect(!(await server.waitUntil(seconds: 1) { $0.received.count > settled }))
    }

    @Test func aServerErrorIsRetriedWithBackoffAndReportedOnce() async throws {
        let answered = Atomic<Int>(0)
        let server = try await CannedHTTPServer.tcp { _ in
            let count = answered.add(1, ordering: .relaxed).newValue
            return count <= 3 ? .http(status: "503 Service Unavailable", body: "busy") : .http(body: "")
        }
        defer { server.stop() }
        let fixture = try AlertManagerFixture(policy: Self.quick) { $0.testSet("monitoring.alerts.alertmanager.url", .string(url(server))) }
        defer { fixture.close() }
        try fixture.alerts.inject(.orphanedContainers, 5)
        _ = try fixture.alerts.evaluate()
        #expect(Deadline.wait(seconds: 10) { notifications(fixture, "alertmanager", "success") == 1 })
        #expect(notifications(fixture, "alertmanager", "failure") == 3)
        #expect(server.received.count == 4)
        let notes = fixture.drainEvents().filter { $0.logger == "finmon" }
        #expect(notes.map(\.level) == [.warning, .info])
        #expect(notes.first?.message.contains("unreachable: HTTP 503: busy") == true)
        #expect(notes.last?.message.contains("reachable again") == true)
        #expect(!fixture.alerts.deliveryStatus.alertmanagerDown)
    }

    @Test func anUnreachableAlertmanagerKeepsTheAlertPending() async throws {
        let fixture = try AlertManagerFixture(policy: Self.quick) {
            $0.testSet("monitoring.alerts.alertmanager.url", "http://127.0.0.1:\(closedPort())")
        }
        defer { fixture.close() }
        try fixture.alerts.inject(.memoryPercent, 95)
        _ = try fixture.alerts.evaluate()
        #expect(Deadline.wait(seconds: 10) { (notifications(fixture, "alertmanager", "failure") ?? 0) >= 2 })
        let status = fixture.alerts.deliveryStatus
        #expect(status.alertmanagerDown && !status.alertmanagerInSync && status.alertmanagerPending == 1)
        #expect(fixture.logLines().count == 1)  // the alert is on disk regardless
        let warnings = fixture.drainEvents().filter { $0.logger == "finmon" && $0.level == .warning }
        #expect(warnings.count == 1 && warnings.first?.message.contains("cannot connect") == true)
    }

    @Test func aRefusedPostIsCountedAndNotRetried() async throws {
        let server = try await CannedHTTPServer.tcp { _ in .http(status: "400 Bad Request", body: "bad alert") }
        defer { server.stop() }
        let fixture = try AlertManagerFixture(policy: Self.quick) { $0.testSet("monitoring.alerts.alertmanager.url", .string(url(server))) }
        defer { fixture.close() }
        try fixture.alerts.inject(.cpuPercent, 99)
        _ = try fixture.alerts.evaluate()
        #expect(Deadline.wait(seconds: 10) { notifications(fixture, "alertmanager", "failure") == 1 })
        #expect(Deadline.wait(seconds: 10) { fixture.alerts.deliveryStatus.alertmanagerInSync })
        #expect(!fixture.alerts.deliveryStatus.alertmanagerDown)
        let warnings = fixture.drainEvents().filter { $0.logger == "finmon" }
        #expect(warnings.first?.message.contains("refused 1 alert notification(s): HTTP 400: bad alert") == true)
        #expect(!(await server.waitUntil(seconds: 1) { $0.received.count > 1 }))
    }

    @Test func theWebhookGetsEachEventAsJSONInOrder() async throws {
        let server = try await CannedHTTPServer.tcp { _ in .http(status: "204 No Content", body: "") }
        defer { server.stop() }
        let fixture = try AlertManagerFixture(policy: Self.quick) { $0.testSet("monitoring.alerts.webhook.url", .string(url(server, path: "/hook"))) }
        defer { fixture.close() }
        try fixture.alerts.inject(.diversity, 0.01)
        let fired = try fixture.alerts.evaluate()
        try fixture.alerts.inject(.diversity, 0.9)
        let resolved = try fixture.alerts.evaluate()
        #expect(await server.waitUntil { $0.received.count >= 2 })
        #expect(server.received.map(\.requestLine) == ["POST /hook HTTP/1.1", "POST /hook HTTP/1.1"])
        #expect(server.received.map { String(decoding: $0.body, as: UTF8.self) } == (fired + resolved).map { $0.jsonLine() })
        #expect(Deadline.wait(seconds: 10) { notifications(fixture, "webhook", "success") == 2 })
        #expect(fixture.alerts.deliveryStatus.webhookPending == 0)
    }

    @Test func aDownWebhookQueuesBoundedAndDropsTheOldest() async throws {
        let fixture = try AlertManagerFixture(policy: Self.quick) {
            $0.testSet("monitoring.alerts.webhook.url", "http://127.0.0.1:\(closedPort())/hook")
        }
        defer { fixture.close() }
        for round in 0..<3 {
            try fixture.alerts.inject(.memoryPercent, 90)
            _ = try fixture.alerts.evaluate()
            try fixture.alerts.inject(.memoryPercent, Double(10 + round))
            _ = try fixture.alerts.evaluate()
        }
        let status = fixture.alerts.deliveryStatus
        #expect(status.webhookPending == 3 && status.webhookDropped == 3)
        #expect(notifications(fixture, "webhook", "dropped") == 3)
        #expect(Deadline.wait(seconds: 10) { fixture.alerts.deliveryStatus.webhookDown })
        let notes = fixture.drainEvents().filter { $0.logger == "finmon" }.map(\.message)
        #expect(notes.filter { $0.contains("dropping the oldest") }.count == 1)
        #expect(fixture.logLines().count == 6)
    }

    @Test func stopAbandonsARequestInFlightAndKeepsItsAlert() async throws {
        let server = try await CannedHTTPServer.tcp { _ in .silent }
        defer { server.stop() }
        let fixture = try AlertManagerFixture(policy: AlertDeliveryPolicy(requestTimeoutSeconds: 30, stopTimeoutSeconds: 0.3)) {
            $0.testSet("monitoring.alerts.alertmanager.url", .string(url(server)))
        }
        defer { fixture.close() }
        try fixture.alerts.inject(.memoryPercent, 90)
        _ = try fixture.alerts.evaluate()
        #expect(await server.waitUntil { $0.received.count == 1 })
        // What the runtime's stop does: one attempt to resolve the firing alert, waiting no
        // longer than stopTimeoutSeconds on a peer that never answers, then nothing more.
        let clock = ContinuousClock()
        let took = clock.measure { fixture.alerts.shutDown() }
        #expect(took < .seconds(10))
        let status = fixture.alerts.deliveryStatus
        #expect(!status.alertmanagerInSync && status.alertmanagerPending == 1)
        #expect(notifications(fixture, "alertmanager", "failure") == 1)
        let notes = fixture.drainEvents().filter { $0.logger == "finmon" }
        #expect(notes.map(\.level) == [.warning])
        #expect(notes.first?.message.hasPrefix("stop: could not resolve firing alert(s) high_memory at Alertmanager") == true)
    }

    /// An Alertmanager that accepts everything, and a manager delivering to it.
    private func accepting() async throws -> (CannedHTTPServer, AlertManagerFixture) {
        let server = try await CannedHTTPServer.tcp { _ in .http(body: "") }
        let fixture = try AlertManagerFixture(policy: Self.quick) {
            $0.testSet("monitoring.alerts.alertmanager.url", .string(url(server)))
        }
        return (server, fixture)
    }

    @Test func aCleanStopResolvesTheFiringAlertsAtAlertmanager() async throws {
        let (server, fixture) = try await accepting()
        defer { server.stop() }
        defer { fixture.close() }
        try fixture.alerts.inject(.memoryPercent, 90)
        try fixture.alerts.inject(.orphanedContainers, 5)
        _ = try fixture.alerts.evaluate()
        #expect(await server.waitUntil { $0.received.count == 1 })
        #expect(Deadline.wait(seconds: 10) { fixture.alerts.deliveryStatus.alertmanagerInSync })
        _ = fixture.drainEvents()
        let before = AlertTime.now().epochSeconds
        fixture.alerts.shutDown()
        let after = AlertTime.now().epochSeconds
        // The stop's post went out before shutDown returned: both alerts, ending now.
        #expect(server.received.count == 2)
        let resolves = posted(server.received[1])
        #expect(resolves.map { $0["labels"]?["alertname"] } == [.string("high_memory"), .string("orphaned_containers")])
        for alert in resolves {
            guard case .string(let endsAt)? = alert["endsAt"] else {
                Issue.record("no endsAt: \(alert)")
                continue
            }
            #expect(endsAt >= RFC3339Timestamp.format(epochSeconds: before) && endsAt <= RFC3339Timestamp.format(epochSeconds: after))
        }
        let notes = fixture.drainEvents().filter { $0.logger == "finmon" }
        #expect(notes.map(\.level) == [.info])
        #expect(notes.first?.message == "stop: resolved firing alert(s) high_memory, orphaned_containers at Alertmanager \(url(server))")
        #expect(notifications(fixture, "alertmanager", "success") == 4)  // counted per alert: 2 fired, 2 resolved
        // The engine still holds them: the final record lists what was firing at the end.
        #expect(fixture.alerts.activeAlerts.count == 2)
    }

    @Test func aStopWithNothingFiringPostsNothing() async throws {
        let (server, fixture) = try await accepting()
        defer { server.stop() }
        defer { fixture.close() }
        try fixture.alerts.inject(.memoryPercent, 90)
        _ = try fixture.alerts.evaluate()
        try fixture.alerts.inject(.memoryPercent, 10)
        _ = try fixture.alerts.evaluate()
        #expect(Deadline.wait(seconds: 10) { fixture.alerts.deliveryStatus.alertmanagerPending == 0 })
        let posts = server.received.count
        fixture.alerts.shutDown()
        #expect(server.received.count == posts)
        #expect(!fixture.drainEvents().contains { $0.message.hasPrefix("stop:") })
    }

    @Test func startingAgainResumesWhatAStopAbandoned() async throws {
        let answered = Atomic<Int>(0)
        let server = try await CannedHTTPServer.tcp { _ in
            answered.add(1, ordering: .relaxed).newValue == 1 ? .silent : .http(body: "")
        }
        defer { server.stop() }
        let fixture = try AlertManagerFixture(policy: AlertDeliveryPolicy(requestTimeoutSeconds: 30)) {
            $0.testSet("monitoring.alerts.alertmanager.url", .string(url(server)))
            $0.testSet("monitoring.alerts.evaluation_interval", 3600)
        }
        defer { fixture.close() }
        try fixture.alerts.inject(.memoryPercent, 90)
        _ = try fixture.alerts.evaluate()
        #expect(await server.waitUntil { $0.received.count == 1 })
        fixture.alerts.shutDown()
        // No new event: the start alone sends the abandoned post again.
        try fixture.alerts.start()
        #expect(await server.waitUntil { $0.received.count == 2 })
        #expect(Deadline.wait(seconds: 10) { fixture.alerts.deliveryStatus.alertmanagerInSync })
        #expect(posted(server.received[1]).first?["labels"]?["alertname"] == .string("high_memory"))
    }

    @Test func anUnusableURLDisablesItsReceiverWithAWarning() throws {
        let fixture = try AlertManagerFixture(policy: Self.quick) { $0.testSet("monitoring.alerts.webhook.url", "https://hooks.example.com/x") }
        defer { fixture.close() }
        #expect(fixture.alerts.deliveryStatus.webhookURL == nil)
        let notes = fixture.drainEvents()
        #expect(notes.count == 1 && notes.first?.level == .warning)
        #expect(notes.first?.message.contains("webhook disabled: invalid endpoint") == true)
    }

    @Test func statusRendersAsJSON() throws {
        let status = AlertDeliveryStatus(
            alertmanagerURL: "http://am:9093", alertmanagerPending: 2, alertmanagerInSync: false,
            alertmanagerDown: true, webhookURL: nil, webhookPending: 0, webhookDown: false, webhookDropped: 4)
        let json = try JSON.parse(status.jsonString())
        #expect(json["alertmanager_url"] == .string("http://am:9093") && json["webhook_url"] == .null)
        #expect(json["alertmanager_pending"] == .number(2) && json["alertmanager_in_sync"] == .bool(false))
        #expect(json["alertmanager_down"] == .bool(true) && json["webhook_dropped"] == .number(4))
    }
}
