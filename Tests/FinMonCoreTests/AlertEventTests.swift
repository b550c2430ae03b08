import Testing
@testable import FinMonCore

@Suite struct AlertEventTests {
    private typealias JSON = ConfigTestSupport.JSON

    private func event(current: Double = 85.2, iteration: Int? = 7, message: String = "Memory usage 85.2% is above 80%") -> AlertEvent {
        AlertEvent(
            alertType: .highMemory, severity: .critical, status: .resolved, message: message,
            currentValue: current, thresholdValue: 80, epochSeconds: 1_795_959_912.123,
            startsAtEpochSeconds: 1_795_959_600, iterationContext: iteration)
    }

    @Test func jsonLineHasTheDocumentedKeysInOrder() throws {
        let line = event().jsonLine()
        #expect(!line.contains("\n"))
        #expect(line == #"{"alert_type":"high_memory","severity":"critical","status":"resolved","#
            + #""message":"Memory usage 85.2% is above 80%","current_value":85.2,"threshold_value":80,"#
            + #""timestamp":"2026-11-29T13:45:12.123Z","iteration_context":7,"starts_at":"2026-11-29T13:40:00.000Z"}"#)
        let json = try JSON.parse(line)
        #expect(json["alert_type"] == .string("high_memory"))
        #expect(json["current_value"] == .number(85.2))
        #expect(json["iteration_context"] == .number(7))
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteValuesBecomeNull(value: Double) throws {
        let json = try JSON.parse(event(current: value, iteration: nil).jsonLine())
        #expect(json["current_value"] == .null)
        #expect(json["iteration_context"] == .null)
    }

    @Test func awkwardMessagesStayValidJSON() throws {
        let message = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} del \u{7F} é 日本 🙂"
        let json = try JSON.parse(event(message: message).jsonLine())
        #expect(json["message"] == .string(message))
    }

    @Test func timestampsAreRFC3339() {
        #expect(event().timestamp == "2026-11-29T13:45:12.123Z")
        #expect(event().startsAt == "2026-11-29T13:40:00.000Z")
    }
}
