import Testing
@testable import FinMonCore

@Test func readsAZeroSizedProcFileToEOF() throws {
    // /proc files report st_size 0; a reader trusting the size would get nothing.
    let bytes = try ProcFile.read("/proc/self/status")
    #expect(bytes.count > 100)
    #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("Name:"))
}

@Test func missingFileIsCannotOpenWithENOENT() {
    #expect(throws: SystemReadError(path: ProcFixture.root("none/stat"), reason: .cannotOpen(errno: 2))) {
        try ProcFile.read(ProcFixture.root("none/stat"))
    }
}

@Test func fileOverTheCapIsTooLarge() {
    let path = ProcFixture.root("real/zoneinfo")
    #expect(throws: SystemReadError(path: path, reason: .tooLarge(limit: 100))) {
        try ProcFile.read(path, limit: 100)
    }
}

@Test func fileExactlyAtTheCapIsAccepted() throws {
    let path = ProcFixture.root("real/zoneinfo")
    let size = try ProcFile.read(path).count
    #expect(try ProcFile.read(path, limit: size).count == size)
}

@Test func countsDirectoryEntriesWithoutDotAndDotDot() throws {
    #expect(try ProcFile.countEntries(directory: ProcFixture.root("real/self/fd")) == 4)
    #expect(try ProcFile.countEntries(directory: ProcFixture.root("weird-comm/self/fd")) == 7)
}

@Test func countingAMissingDirectoryThrows() {
    #expect(throws: SystemReadError.self) {
        try ProcFile.countEntries(directory: ProcFixture.root("none/fd"))
    }
}
