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

@Test func excerptCapsLongTokens() {
    let long = Substring(String(repeating: "9", count: 100))
    #expect(ProcParse.excerpt(long) == String(repeating: "9", count: 40) + "...")
}
