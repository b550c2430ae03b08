import Testing
@testable import FinMonCore

@Test func realFixtureParsesToTheNumbersInTheFiles() throws {
    // self/stat: utime 0, stime 0, num_threads 1, starttime 30372, vsize 2654208, rss 406;
    // stat: btime 1795957718; limits: Max open files 20000; status: VmHWM 1728 kB; fd: 4 entries.
    // prometheus_client's ProcessCollector(proc=<this fixture>, pid="self") reports the same:
    // virtual 2654208.0, resident 1662976.0, start 1795958021.72, cpu 0.0, open 4, max 20000.0.
    let stats = try ProcessStats.read(procRoot: ProcFixture.root("real"), ticksPerSecond: 100, pageSize: 4096)
    #expect(stats.cpuSecondsTotal == 0)
    #expect(stats.virtualBytes == 2_654_208)
    #expect(stats.residentBytes == 406 * 4096)
    #expect(stats.startTimeSeconds == 303.72 + 1_795_957_718)
    #expect(stats.maxFDs == 20_000)
    #expect(stats.openFDs == 4)
    #expect(stats.threads == 1)
    #expect(stats.peakResidentBytes == 1728 * 1024)
}

@Test func commWithSpacesAndParenthesesIsSkippedUpToTheLastParenthesis() throws {
    // comm is "evo) (x y)"; utime 1234, stime 567, num_threads 7, starttime 250000,
    // vsize 987654321, rss 2500 pages; btime 1700000000. prometheus_client on this fixture:
    // virtual 987654321.0, resident 10240000.0, start 1700002500.0,
    // cpu 18.009999999999998, open 7, max 1024.0.
    let stats = try ProcessStats.read(procRoot: ProcFixture.root("weird-comm"), ticksPerSecond: 100, pageSize: 4096)
    #expect(stats.userCPUSeconds == 12.34)
    #expect(stats.systemCPUSeconds == 5.67)
    #expect(stats.cpuSecondsTotal == 18.009999999999998)
    #expect(stats.threads == 7)
    #expect(stats.startTimeSeconds == 2500 + 1_700_000_000)
    #expect(stats.virtualBytes == 987_654_321)
    #expect(stats.residentBytes == 2500 * 4096)
    #expect(stats.maxFDs == 1024)
    #expect(stats.openFDs == 7)
    #expect(stats.peakResidentBytes == 12_345 * 1024)
}

@Test func givenBootTimeIsUsedInsteadOfReadingProcStat() throws {
    let stats = try ProcessStats.read(
        procRoot: ProcFixture.root("weird-comm"), ticksPerSecond: 100, pageSize: 4096, bootTimeSeconds: 10)
    #expect(stats.startTimeSeconds == 2510)
}

@Test func unlimitedOpenFilesIsNil() throws {
    let text = "Max open files            unlimited            unlimited            files\n"
    #expect(try ProcessStats.parseMaxOpenFiles(text, path: "limits") == nil)
}

@Test func truncatedStatIsMalformed() throws {
    let error = try #require(throws: SystemReadError.self) {
        try ProcessStats.read(procRoot: ProcFixture.root("truncated"), bootTimeSeconds: 1)
    }
    #expect(error.path.hasSuffix("truncated/self/stat"))
    #expect(error.reason == .malformed("10 fields after comm, expected at least 22"))
}

@Test func truncatedLimitsMissTheOpenFilesLine() throws {
    let root = ProcFixture.root("truncated")
    #expect(throws: SystemReadError(path: root + "/self/limits", reason: .missingField("Max open files"))) {
        try ProcessStats.parseMaxOpenFiles(try ProcFile.readText(root + "/self/limits"), path: root + "/self/limits")
    }
}

@Test func statWithoutClosingParenthesisIsMalformed() throws {
    let error = try #require(throws: SystemReadError.self) {
        try ProcessStats.read(procRoot: ProcFixture.root("garbage"), bootTimeSeconds: 1)
    }
    #expect(error.reason == .malformed("no ')' closing the comm field"))
}

@Test func garbageStatusAndLimitsAreMalformed() throws {
    let root = ProcFixture.root("garbage")
    #expect(throws: SystemReadError.self) {
        try ProcessStats.parsePeakResident(try ProcFile.readText(root + "/self/status"), path: "status")
    }
    #expect(throws: SystemReadError.self) {
        try ProcessStats.parseMaxOpenFiles(try ProcFile.readText(root + "/self/limits"), path: "limits")
    }
}

@Test func rssPagesOverflowingBytesAreOutOfRange() throws {
    let error = try #require(throws: SystemReadError.self) {
        try ProcessStats.read(procRoot: ProcFixture.root("huge"), pageSize: 4096, bootTimeSeconds: 1)
    }
    #expect(error.reason == .numberOutOfRange("rss: 18446744073709551615 * 4096 exceeds 64 bits"))
}

@Test func missingProcessIsCannotOpen() throws {
    let error = try #require(throws: SystemReadError.self) {
        try ProcessStats.read(procRoot: ProcFixture.root("real"), pid: "999999999")
    }
    guard case .cannotOpen = error.reason else {
        Issue.record("expected cannotOpen, got \(error)")
        return
    }
}

@Test func liveSelfParses() throws {
    let stats = try ProcessStats.read()
    #expect(stats.residentBytes > 0)
    #expect(stats.virtualBytes >= stats.residentBytes)
    // stdin/stdout/stderr plus the descriptor listing the directory.
    #expect(stats.openFDs >= 1)
    #expect(stats.threads >= 1)
    #expect(stats.startTimeSeconds > 1_000_000_000)
    if let maxFDs = stats.maxFDs { #expect(UInt64(stats.openFDs) <= maxFDs) }
}
