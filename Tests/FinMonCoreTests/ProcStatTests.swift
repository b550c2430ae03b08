import Testing
@testable import FinMonCore

@Test func realFixtureParsesToTheTicksInTheFile() throws {
    // cpu  23423 0 4863 31214 536 0 52 356 0 0 / btime 1795957718
    let stat = try ProcStat.read(procRoot: ProcFixture.root("real"), ticksPerSecond: 100)
    #expect(stat.cpu == CPUTimes(
        user: 234.23, nice: 0, system: 48.63, idle: 312.14, iowait: 5.36,
        irq: 0, softirq: 0.52, steal: 3.56, guest: 0, guestNice: 0))
    #expect(stat.bootTimeSeconds == 1_795_957_718)
}

@Test func ticksPerSecondScalesTheTimes() throws {
    let stat = try ProcStat.read(procRoot: ProcFixture.root("cpu-interval/t0"), ticksPerSecond: 250)
    #expect(stat.cpu.user == 4)
    #expect(stat.cpu.guestNice == 2.0 / 250)
}

@Test func oldKernelWithFourColumnsZeroesTheRest() throws {
    let stat = try ProcStat.parse("cpu 100 200 300 400\n", path: "stat", ticksPerSecond: 100)
    #expect(stat.cpu == CPUTimes(user: 1, nice: 2, system: 3, idle: 4))
    #expect(stat.bootTimeSeconds == nil)
}

@Test func liveProcStatParses() throws {
    let stat = try ProcStat.read()
    #expect(stat.cpu.total > 0)
    #expect((stat.bootTimeSeconds ?? 0) > 1_000_000_000)
}

@Test func truncatedCPULineIsMalformed() throws {
    let error = try #require(throws: SystemReadError.self) {
        try ProcStat.read(procRoot: ProcFixture.root("truncated"))
    }
    #expect(error.path.hasSuffix("truncated/stat"))
    #expect(error.reason == .malformed("cpu line has 3 values, expected at least 4"))
}

@Test func garbageIsMalformed() throws {
    let error = try #require(throws: SystemReadError.self) {
        try ProcStat.read(procRoot: ProcFixture.root("garbage"))
    }
    #expect(error.reason == .malformed("cpu user: '12x' is not an unsigned integer"))
}

@Test func hugeCounterIsOutOfRange() throws {
    let error = try #require(throws: SystemReadError.self) {
        try ProcStat.read(procRoot: ProcFixture.root("huge"))
    }
    guard case .numberOutOfRange = error.reason else {
        Issue.record("expected numberOutOfRange, got \(error)")
        return
    }
}

@Test func missingCPULineIsMissingField() {
    #expect(throws: SystemReadError(path: "stat", reason: .missingField("cpu"))) {
        try ProcStat.parse("cpu0 1 2 3 4\nbtime 5\n", path: "stat", ticksPerSecond: 100)
    }
}

@Test func bootTimeReadsAloneEvenWhenTheCPULineIsBroken() throws {
    #expect(try ProcStat.readBootTime(procRoot: ProcFixture.root("huge")) == 1_700_000_000)
    #expect(throws: SystemReadError(path: ProcFixture.root("truncated") + "/stat", reason: .missingField("btime"))) {
        try ProcStat.readBootTime(procRoot: ProcFixture.root("truncated"))
    }
}
