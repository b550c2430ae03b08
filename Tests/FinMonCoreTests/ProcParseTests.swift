import Testing
@testable import FinMonCore

@Test func parsesTheLargestUInt64() throws {
    #expect(try ProcParse.uint64("18446744073709551615", field: "x", path: "p") == UInt64.max)
    #expect(try ProcParse.uint64("0", field: "x", path: "p") == 0)
}

@Test func rejectsOneMoreThanUInt64MaxAsOutOfRange() {
    #expect(throws: SystemReadError(path: "p", reason: .numberOutOfRange("x: '18446744073709551616' exceeds 64 bits"))) {
        try ProcParse.uint64("18446744073709551616", field: "x", path: "p")
    }
}

@Test(arguments: ["", "+5", "-0", "-1", "1.5", "12x", " 1", "\u{FFFD}"])
func rejectsWhatTheKernelNeverWrites(token: String) {
    #expect(throws: SystemReadError.self) {
        try ProcParse.uint64(Substring(token), field: "x", path: "p")
    }
}

@Test func multiplyReportsOverflowInsteadOfTrapping() throws {
    #expect(try ProcParse.multiply(1 << 53, by: 1024, field: "x", path: "p") == 1 << 63)
    #expect(throws: SystemReadError.self) {
        try ProcParse.multiply(1 << 54, by: 1024, field: "x", path: "p")
    }
}

@Test func fieldsSplitOnRunsOfSpacesAndTabs() {
    #expect(ProcParse.fields("VmHWM:\t   1728 kB") == ["VmHWM:", "1728", "kB"])
}

@Test func splittingIsByteWiseAndKeepsNonASCIIText() {
    // "e\u{301}" is one Character; splitting on bytes must neither merge nor cut it.
    #expect(ProcParse.fields(" comm:  \u{E9}t\u{E9}\tcaf\u{65}\u{301} x ") == ["comm:", "\u{E9}t\u{E9}", "caf\u{65}\u{301}", "x"])
    // "\r\n" is one Character too; the kernel never writes it, and bytes split it anyway.
    #expect(ProcParse.lines("a\n\nb\r\nc") == ["a", "b\r", "c"])
    #expect(ProcParse.lines("") == [])
    #expect(ProcParse.fields("   ") == [])
    let line: Substring = "xx cpu 1 2"
    #expect(ProcParse.fields(line.dropFirst(3)) == ["cpu", "1", "2"])  // a slice not at offset 0
    #expect(ProcParse.hasPrefix(line.dropFirst(3), "cpu "))
    #expect(!ProcParse.hasPrefix(line, "cpu "))
}

@Test func excerptCapsLongTokens() {
    let long = Substring(String(repeating: "9", count: 100))
    #expect(ProcParse.excerpt(long) == String(repeating: "9", count: 40) + "...")
}
