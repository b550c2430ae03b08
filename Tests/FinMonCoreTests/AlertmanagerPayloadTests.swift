import Testing
@testable import FinMonCore

@Suite struct AlertmanagerPayloadTests {
    private typealias E = AlertTestEvents
    private typealias JSON = ConfigTestSupport.JSON

    @Test func firingAlertCarriesLabelsAnnotationsAndTimes() throws {
        let text = AlertmanagerPayload.render(
            [.init(event: E.firing(.highMemory, value: 85.24), endsAtEpochSeconds: E.epoch + 240.5)],
            labels: ["instance": "host-1", "env": "test"])
        let json = try JSON.parse(text)
        guard case .array(let alerts) = json, let alert = alerts.first else {
            Issue.record("not an array: \(text)")
            return
        }
        #expect(alerts.count == 1)
        #expect(alert["labels"] == .object([
            "alertname": .string("high_memory"), "alert_type": .string("high_memory"),
            "severity": .string("critical"), "instance": .string("host-1"), "env": .string("test"),
        ]))
        #expect(alert["annotations"]?["summary"] == .string("High memory usage"))
        #expect(alert["annotations"]?["description"] == .string("high_memory fired"))
        #expect(alert["annotations"]?["current_value"] == .string("85.24"))
        #expect(alert["annotations"]?["threshold_value"] == .string("80"))
        #expect(alert["annotations"]?["iteration"] == .string("7"))
        #expect(alert["startsAt"] == .string("2027-01-15T08:00:00.000Z"))
        #expect(alert["endsAt"] == .string("2027-01-15T08:04:00.500Z"))
    }

    @Test func resolvedAlertHasNoIterationAnnotation() throws {
        let text = AlertmanagerPayload.render(
            [.init(event: E.resolved(.highCPU, at: 30), endsAtEpochSeconds: E.epoch + 30)], labels: [:])
        let json = try JSON.parse(text)
        guard case .array(let alerts) = json, let alert = alerts.first else {
            Issue.record("not an array: \(text)")
            return
        }
        #expect(alert["annotations"]?["iteration"] == nil)
        #expect(alert["labels"]?["severity"] == .string("warning"))
        #expect(alert["endsAt"] == .string("2027-01-15T08:00:30.000Z"))
        #expect(AlertmanagerPayload.render([], labels: [:]) == "[]")
    }
}
