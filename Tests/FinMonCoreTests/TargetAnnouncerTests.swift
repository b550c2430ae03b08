import Glibc
import Testing
@testable import FinMonCore

/// The file_sd entry a loop writes at start and removes at stop.
@Suite struct TargetAnnouncerTests {
    private func target(_ instance: String, run: String, port: Int = 9100) -> ScrapeTarget {
        ScrapeTarget(job: "finmon", instance: instance, address: "10.213.0.2:\(port)",
                     discoveryLabels: ["run_id": run, "host": "h1"])
    }

    private func instances(_ path: String) throws -> [String?] {
        try TargetAnnouncer.entries(path).map { $0["labels"]?["instance"]?.stringValue }
    }

    @Test func announceWritesOneEntryWithItsLabelsAndWithdrawRemovesIt() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/targets.json"
        let announcer = TargetAnnouncer(path: path, target: target("loop-a", run: "r1"), extraLabels: ["env": "prod"])
        try announcer.announce()
        #expect(try ConfigTestSupport.read(path) == """
            [
              {"targets":["10.213.0.2:9100"],"labels":{"env":"prod","host":"h1","instance":"loop-a","run_id":"r1"}}
            ]

            """)
        #expect(announcer.labels["job"] == nil)  // the scrape config names the job
        try announcer.withdraw()
        #expect(try ConfigTestSupport.read(path) == "[]\n")
        #expect(access(path + ".lock", F_OK) == 0)  // left for the next writer
        #expect(access(path + ".tmp.\(getpid())", F_OK) != 0)
    }

    @Test func loopsSharingAFileKeepEachOthersEntries() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/targets.json"
        let a = TargetAnnouncer(path: path, target: target("loop-a", run: "r1"))
        let b = TargetAnnouncer(path: path, target: target("loop-b", run: "r2", port: 9101))
        try a.announce()
        try b.announce()
        #expect(try instances(path) == ["loop-a", "loop-b"])
        try a.withdraw()
        #expect(try instances(path) == ["loop-b"])
    }

    @Test func aRestartReplacesItsEntryAndTheOldRunsStopLeavesTheNewOne() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/targets.json"
        let crashed = TargetAnnouncer(path: path, target: target("loop-a", run: "r1"))
        try crashed.announce()
        let restarted = TargetAnnouncer(path: path, target: target("loop-a", run: "r2"))
        try restarted.announce()
        let runs = try TargetAnnouncer.entries(path).map { $0["labels"]?["run_id"]?.stringValue }
        #expect(runs == ["r2"])
        try crashed.withdraw()  // late: the entry is the new run's now
        #expect(try instances(path) == ["loop-a"])
        try restarted.withdraw()
        #expect(try instances(path).isEmpty)
    }

    @Test func concurrentWritersLoseNoEntry() async throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/targets.json"
        let announcers = (0..<16).map { TargetAnnouncer(path: path, target: target("loop-\($0)", run: "r")) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for announcer in announcers {
                group.addTask { for _ in 0..<5 { try announcer.announce() } }
            }
            try await group.waitForAll()
        }
        #expect(Set(try instances(path).compactMap { $0 }) == Set((0..<16).map { "loop-\($0)" }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for announcer in announcers.prefix(8) { group.addTask { try announcer.withdraw() } }
            try await group.waitForAll()
        }
        #expect(Set(try instances(path).compactMap { $0 }) == Set((8..<16).map { "loop-\($0)" }))
    }

    @Test func aFileThatIsNotATargetListIsLeftAloneAndReported() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/targets.json"
        try AtomicFile.write(Array("{\"not\": \"a list\"}".utf8), to: path)
        let announcer = TargetAnnouncer(path: path, target: target("loop-a", run: "r1"))
        #expect(throws: TargetAnnouncer.Failure(path: path, operation: "parse as a file_sd target list", errno: EINVAL)) {
            try announcer.announce()
        }
        #expect(try ConfigTestSupport.read(path) == "{\"not\": \"a list\"}")
        try AtomicFile.write(Array(" \n".utf8), to: path)  // empty: no entries yet
        try announcer.announce()
        #expect(try instances(path) == ["loop-a"])
        let missing = TargetAnnouncer(path: dir.path + "/no/such/folder/targets.json", target: target("x", run: "r"))
        #expect(throws: TargetAnnouncer.Failure.self) { try missing.announce() }
    }
}
