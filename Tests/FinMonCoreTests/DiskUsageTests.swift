import Testing
@testable import FinMonCore

@Test func rootFilesystemUsedPlusFreeFitsInTotal() throws {
    let disk = try DiskUsage.read(path: "/")
    #expect(disk.total > 0)
    #expect(disk.used + disk.free <= disk.total)
    #expect(disk.percent >= 0 && disk.percent <= 100)
    #expect(disk.path == "/")
}

@Test func formulasMatchPsutil() throws {
    // 1000 blocks of 4 KiB, 300 free of which 250 usable by non-root.
    let disk = try DiskUsage.make(path: "/x", blocks: 1000, freeBlocks: 300, availableBlocks: 250, fragmentSize: 4096)
    #expect(disk.total == 4_096_000)
    #expect(disk.used == 700 * 4096)
    #expect(disk.free == 250 * 4096)
    // used / (used + free): root's 50 reserved blocks are not in the denominator.
    #expect(disk.percent == 700.0 / 950.0 * 100)
}

@Test func emptyFilesystemIsZeroPercent() throws {
    let disk = try DiskUsage.make(path: "/x", blocks: 0, freeBlocks: 0, availableBlocks: 0, fragmentSize: 0)
    #expect(disk.percent == 0)
}

@Test func impossibleOrOverflowingCountsThrow() {
    #expect(throws: SystemReadError.self) {
        try DiskUsage.make(path: "/x", blocks: 10, freeBlocks: 11, availableBlocks: 0, fragmentSize: 1)
    }
    #expect(throws: SystemReadError.self) {
        try DiskUsage.make(path: "/x", blocks: UInt64.max, freeBlocks: 0, availableBlocks: 0, fragmentSize: 2)
    }
}

@Test func missingPathIsStatvfsFailedWithENOENT() {
    let path = ProcFixture.root("does-not-exist")
    #expect(throws: SystemReadError(path: path, reason: .statvfsFailed(errno: 2))) {
        try DiskUsage.read(path: path)
    }
}
