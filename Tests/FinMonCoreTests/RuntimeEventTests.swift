import Testing
@testable import FinMonCore

@Test func defaultsToTheFinmonLogger() {
    let event = RuntimeEvent(level: .warning, message: "m")
    #expect(event.logger == "finmon")
    #expect(event.json == nil)
    #expect(event == RuntimeEvent(level: .warning, logger: "finmon", message: "m", json: nil))
    #expect(event != RuntimeEvent(level: .error, message: "m"))
}

@Test func levelsAreTheLoggingNames() {
    #expect([RuntimeEvent.Level.debug, .info, .warning, .error].map(\.rawValue) == ["debug", "info", "warning", "error"])
}

@Test func jsonLineWithoutDataHasNull() {
    let event = RuntimeEvent(level: .info, message: "hello")
    #expect(event.jsonLine() == #"{"level":"info","logger":"finmon","message":"hello","data":null}"#)
}

@Test func jsonLineEmbedsTheDataObjectAsIs() {
    let event = RuntimeEvent(level: .error, logger: "finmon.alerts", message: "x", json: #"{"port":8000}"#)
    #expect(event.jsonLine() == #"{"level":"error","logger":"finmon.alerts","message":"x","data":{"port":8000}}"#)
}

@Test func jsonLineEscapesTheMessage() {
    let event = RuntimeEvent(level: .warning, logger: "a\"b", message: "line1\nline2\t\"q\" \\ \u{1}")
    #expect(event.jsonLine()
        == #"{"level":"warning","logger":"a\"b","message":"line1\nline2\t\"q\" \\ \u0001","data":null}"#)
    #expect(!event.jsonLine().contains("\n"))
}
