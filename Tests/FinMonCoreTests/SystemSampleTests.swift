import Testing
@testable import FinMonCore

@Test func succeededIsAttemptedMinusFailedInOrder() {
    let error = SystemReadError(path: "/proc/meminfo", reason: .missingField("MemTotal"))
    let sample = SystemSample(
        timestamp: 0, monotonicTime: 0,
        attempted: [.cpu, .memory, .disk],
        errors: [SystemCollectorError(collector: .memory, error: error)])
    #expect(sample.succeeded == [.cpu, .disk])
    #expect(sample.errors.first?.message == "/proc/meminfo: missing field MemTotal")
    #expect(sample.errors.first?.description == "memory: /proc/meminfo: missing field MemTotal")
}
