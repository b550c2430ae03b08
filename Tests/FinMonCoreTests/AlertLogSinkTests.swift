import Testing
@testable import FinMonCore

@Suite struct AlertLogSinkTests {
    private func event(_ type: AlertType, _ status: AlertEvent.Status) -> AlertEvent {
        AlertEvent(
            alertType: type, severity: .warning, status: status, message: "m", currentValue: 1,
            thresholdValue: 2, epochSeconds: 0, startsAtEpochSeconds: 0, iterationContext: nil)
    }

    @Test func appendsOneLinePerEvent() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let sink = AlertLogSink(path: dir.path + "/alerts.jsonl", syncsEachWrite: true)
        try sink.append(event(.highCPU, .firing))
        try sink.append([event(.highCPU, .resolved), event(.orphanedContainers, .firing)])
        try sink.append([])
        let text = try ConfigTestSupport.read(sink.path)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines.last == "")
        #expect(lines.dropLast().map(String.init) == [
            event(.highCPU, .firing).jsonLine(),
            event(.highCPU, .resolved).jsonLine(),
            event(.orphanedContainers, .firing).jsonLine(),
        ])
    }

    @Test func emptyBatchDoesNotCreateTheFile() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let sink = AlertLogSink(path: dir.path + "/alerts.jsonl")
        try sink.append([])
        #expect(throws: ConfigTestSupport.IOError.self) { try ConfigTestSupport.read(sink.path) }
    }

    @Test func unwritablePathThrowsWithTheReason() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let sink = AlertLogSink(path: dir.path + "/missing/alerts.jsonl")
        do {
            try sink.append(event(.highMemory, .firing))
            Issue.record("writing into a missing directory succeeded")
        } catch {
            #expect(error.operation == "open" && error.errno == 2)
            #expect(error.description == "alert log \(sink.path): open failed: No such file or directory (errno 2)")
        }
    }

    @Test func aPartialLastLineIsRemovedAtOpenBeforeAppending() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let sink = AlertLogSink(path: dir.path + "/alerts.jsonl")
        try ConfigTestSupport.write("{\"whole\": 1}\n{\"cut\": ", to: sink.path)
        let outcome = try sink.append(event(.highCPU, .firing))
        #expect(outcome.repairedBytes == 8)
        #expect(try ConfigTestSupport.read(sink.path) == "{\"whole\": 1}\n" + event(.highCPU, .firing).jsonLine() + "\n")
        // Nothing but a partial line: the file is emptied, not dropped.
        try ConfigTestSupport.write("{\"cut\": ", to: sink.path)
        #expect(try sink.repair() == 8)
        #expect(try ConfigTestSupport.read(sink.path) == "")
        // A whole file, or no file at all, is left alone.
        #expect(try sink.repair() == 0)
        #expect(try AlertLogSink(path: dir.path + "/absent.jsonl").repair() == 0)
        #expect(AtomicFile.kind(of: dir.path + "/absent.jsonl") == nil)
    }
}
