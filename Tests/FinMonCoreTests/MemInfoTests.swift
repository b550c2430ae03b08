import Testing
@testable import FinMonCore

@Test func realFixtureParsesToTheKilobytesInTheFile() throws {
    let memory = try MemInfo.read(procRoot: ProcFixture.root("real"), pageSize: 4096)
    #expect(memory.total == 24_684_084 * 1024)
    #expect(memory.free == 22_645_232 * 1024)
    #expect(memory.available == 24_047_388 * 1024)
    #expect(memory.availableSource == .memAvailable)
    #expect(memory.buffers == 24_212 * 1024)
    // Cached + SReclaimable, as psutil and free(1).
    #expect(memory.cached == (1_539_112 + 120_312) * 1024)
    #expect(memory.shared == 8_956 * 1024)
    #expect(memory.active == 784_040 * 1024)
    #expect(memory.inactive == 923_924 * 1024)
    #expect(memory.slab == 148_400 * 1024)
    #expect(memory.used == (24_684_084 - 24_047_388) * 1024)
    #expect(memory.usedExcludingCache == (24_684_084 - 22_645_232 - 1_539_112 - 120_312 - 24_212) * 1024)
    #expect(memory.percent == Double(24_684_084 - 24_047_388) / 24_684_084 * 100)
    #expect(memory.fields["HugePages_Total"] == 0)
}

@Test func realFixtureAgreesWithPsutil() throws {
    // psutil 7.2.2 with PROCFS_PATH at this fixture:
    // svmem(total=25276502016, available=24624525312, percent=2.6, used=651976704,
    //       free=23188717568, active=802856960, inactive=946098176, buffers=24793088,
    //       cached=1699250176, shared=9170944, slab=151961600)
    let memory = try MemInfo.read(procRoot: ProcFixture.root("real"), pageSize: 4096)
    #expect(memory.total == 25_276_502_016)
    #expect(memory.available == 24_624_525_312)
    #expect((memory.percent * 10).rounded() / 10 == 2.6)
    #expect(memory.used == 651_976_704)
    #expect(memory.free == 23_188_717_568)
    #expect(memory.active == 802_856_960)
    #expect(memory.inactive == 946_098_176)
    #expect(memory.buffers == 24_793_088)
    #expect(memory.cached == 1_699_250_176)
    #expect(memory.shared == 9_170_944)
    #expect(memory.slab == 151_961_600)
}

@Test func missingMemAvailableFollowsPsutilsEstimate() throws {
    // psutil calculate_avail_vmem, by hand, on the old-kernel fixture (KiB -> bytes):
    //   free = 512000 KiB = 524_288_000; watermark_low = 7100 pages * 4096 = 29_081_600
    //   avail = free - wl                                              = 495_206_400
    //   pagecache = (600000 + 300000) KiB = 921_600_000
    //   pagecache -= min(460_800_000, wl)                              -> 892_518_400
    //   avail += pagecache                                             = 1_387_724_800
    //   avail += SReclaimable 102_400_000 - min(51_200_000, wl)        = 1_461_043_200
    // psutil 7.2.2 with PROCFS_PATH at this fixture agrees:
    // svmem(total=2097152000, available=1461043200, percent=30.3, used=636108800,
    //       free=524288000, active=921600000, inactive=409600000, buffers=65536000,
    //       cached=888832000, shared=20480000, slab=122880000)
    let memory = try MemInfo.read(procRoot: ProcFixture.root("no-memavailable"), pageSize: 4096)
    #expect(memory.availableSource == .estimated)
    #expect(memory.available == 1_461_043_200)
    #expect(memory.total == 2_097_152_000)
    #expect(memory.used == 636_108_800)
    #expect(memory.percent == Double(636_108_800) / 2_097_152_000 * 100)
    #expect((memory.percent * 10).rounded() / 10 == 30.3)
    #expect(memory.cached == 888_832_000)
    #expect(memory.buffers == 65_536_000)
    #expect(memory.shared == 20_480_000)
    // total - free - (Cached + SReclaimable) - Buffers
    #expect(memory.usedExcludingCache == (2_048_000 - 512_000 - 768_000 - 100_000 - 64_000) * 1024)
}

@Test func estimateTruncatesPsutilsFloatArithmeticTowardZero() throws {
    // pagecache/2 = 1.5 and SReclaimable/2 = 2 are below the watermark:
    // 1000 - 10 + (3 - 1.5) + (4 - 2) = 993.5 -> int() -> 993.
    let fields: [String: UInt64] = [
        "MemTotal": 5000, "MemFree": 1000, "Cached": 7,
        "Active(file)": 3, "Inactive(file)": 0, "SReclaimable": 4,
    ]
    let memory = try MemInfo.make(fields: fields, path: "meminfo") { 10 }
    #expect(memory.available == 993)
    #expect(memory.availableSource == .estimated)
}

@Test func withoutZoneinfoTheEstimateFallsBackToFreePlusCached() throws {
    let fields: [String: UInt64] = [
        "MemTotal": 5000, "MemFree": 1000, "Cached": 700, "SReclaimable": 50,
        "Active(file)": 3, "Inactive(file)": 0,
    ]
    let memory = try MemInfo.make(fields: fields, path: "meminfo") { nil }
    // psutil's fallback uses the raw Cached line, without SReclaimable.
    #expect(memory.available == 1700)
    #expect(memory.availableSource == .freePlusCached)
}

@Test func withoutFileLRUFieldsTheEstimateFallsBackWithoutReadingZoneinfo() throws {
    var zoneinfoRead = false
    let fields: [String: UInt64] = ["MemTotal": 5000, "MemFree": 1000, "Cached": 700]
    let memory = try MemInfo.make(fields: fields, path: "meminfo") { () -> UInt64? in
        zoneinfoRead = true
        return 10
    }
    #expect(memory.available == 1700)
    #expect(!zoneinfoRead)
}

@Test func memAvailableZeroIsEstimatedToo() throws {
    // psutil #1915: MemAvailable 0 is a kernel bug, not an empty machine.
    let fields: [String: UInt64] = ["MemTotal": 5000, "MemFree": 1000, "MemAvailable": 0, "Cached": 700]
    let memory = try MemInfo.make(fields: fields, path: "meminfo") { nil }
    #expect(memory.available == 1700)
    #expect(memory.availableSource == .freePlusCached)
}

@Test func availableAboveTotalBecomesFree() throws {
    let fields: [String: UInt64] = ["MemTotal": 5000, "MemFree": 1000, "MemAvailable": 6000]
    let memory = try MemInfo.make(fields: fields, path: "meminfo") { nil }
    #expect(memory.available == 1000)
    #expect(memory.percent == 80)
}

@Test func negativeEstimateBecomesZero() throws {
    let fields: [String: UInt64] = [
        "MemTotal": 5000, "MemFree": 10, "Active(file)": 0, "Inactive(file)": 0, "SReclaimable": 0,
    ]
    let memory = try MemInfo.make(fields: fields, path: "meminfo") { 1000 }
    #expect(memory.available == 0)
    #expect(memory.percent == 100)
}

@Test func usedExcludingCacheFallsBackToTotalMinusFreeWhenCacheExceedsTotal() throws {
    // A container's meminfo with the host's cache: older psutil then reported total - free.
    let fields: [String: UInt64] = ["MemTotal": 5000, "MemFree": 1000, "MemAvailable": 3000, "Cached": 9000]
    let memory = try MemInfo.make(fields: fields, path: "meminfo") { nil }
    #expect(memory.usedExcludingCache == 4000)
    #expect(memory.used == 2000)
}

@Test func zeroTotalIsZeroPercentNotADivisionByZero() throws {
    let memory = try MemInfo.make(fields: ["MemTotal": 0, "MemFree": 0], path: "meminfo") { nil }
    #expect(memory.percent == 0)
}

@Test func garbageZoneinfoIsAnErrorNotASilentFallback() throws {
    let error = try #require(throws: SystemReadError.self) {
        try MemInfo.read(procRoot: ProcFixture.root("garbage-zoneinfo"))
    }
    #expect(error.path.hasSuffix("garbage-zoneinfo/zoneinfo"))
}

@Test func truncatedLineIsMalformed() throws {
    let error = try #require(throws: SystemReadError.self) {
        try MemInfo.read(procRoot: ProcFixture.root("truncated"))
    }
    #expect(error.path.hasSuffix("truncated/meminfo"))
    #expect(error.reason == .malformed("line 'MemF' is not 'Key: value [kB]'"))
}

@Test func garbageValueIsMalformed() throws {
    let error = try #require(throws: SystemReadError.self) {
        try MemInfo.read(procRoot: ProcFixture.root("garbage"))
    }
    guard case .malformed = error.reason else {
        Issue.record("expected malformed, got \(error)")
        return
    }
}

@Test func kilobytesOverflowingBytesAreOutOfRange() throws {
    let error = try #require(throws: SystemReadError.self) {
        try MemInfo.read(procRoot: ProcFixture.root("huge"))
    }
    guard case .numberOutOfRange = error.reason else {
        Issue.record("expected numberOutOfRange, got \(error)")
        return
    }
}

@Test func missingMemTotalIsMissingField() {
    #expect(throws: SystemReadError(path: "meminfo", reason: .missingField("MemTotal"))) {
        try MemInfo.make(fields: ["MemFree": 1], path: "meminfo") { nil }
    }
}

@Test func liveMeminfoParses() throws {
    let memory = try MemInfo.read()
    #expect(memory.total > 0)
    #expect(memory.available <= memory.total)
    #expect(memory.used <= memory.total)
    #expect(memory.percent >= 0 && memory.percent <= 100)
}

/// The checked line-by-line parser the library had beside its one-pass parser, kept here as
/// the reference the one pass must agree with, result and error alike.
private func referenceParse(_ text: String, path: String) throws(SystemReadError) -> [String: UInt64] {
    var fields: [String: UInt64] = [:]
    for line in ProcParse.lines(text) {
        let tokens = ProcParse.fields(line)
        if tokens.isEmpty { continue }
        guard tokens.count >= 2, tokens[0].utf8.last == UInt8(ascii: ":") else {
            throw SystemReadError(
                path: path, reason: .malformed("line '\(ProcParse.excerpt(line))' is not 'Key: value [kB]'"))
        }
        let key = String(Substring(tokens[0].utf8.dropLast()))
        var value = try ProcParse.uint64(tokens[1], field: key, path: path)
        if tokens.count >= 3 && tokens[2].utf8.elementsEqual("kB".utf8) {
            value = try ProcParse.multiply(value, by: 1024, field: key, path: path)
        }
        fields[key] = value
    }
    return fields
}

@Test func theOnePassParserNamesEachFaultAsTheCheckedOneDid() {
    let cases: [(String, SystemReadError.Reason)] = [
        ("MemTotal 1 kB\n", .malformed("line 'MemTotal 1 kB' is not 'Key: value [kB]'")),
        ("MemTotal:\n", .malformed("line 'MemTotal:' is not 'Key: value [kB]'")),
        ("MemTotal: 1 kB\n  Cached: x1\n", .malformed("Cached: 'x1' is not an unsigned integer")),
        ("MemTotal: -1 kB\n", .malformed("MemTotal: '-1' is not an unsigned integer")),
        ("X: 18446744073709551616\n", .numberOutOfRange("X: '18446744073709551616' exceeds 64 bits")),
        ("X: 18446744073709551615 kB\n", .numberOutOfRange("X: 18446744073709551615 * 1024 exceeds 64 bits")),
    ]
    for (text, reason) in cases {
        #expect(throws: SystemReadError(path: "m", reason: reason)) { try MemInfo.parseFields(text, path: "m") }
    }
}

@Test func theOnePassParserAgreesWithTheCheckedOneOnEveryFixture() throws {
    let live = String(decoding: try ProcFile.read("/proc/meminfo"), as: UTF8.self)
    var texts = [live, "", "\n\n", "MemTotal: 1\tkB\n", "K: 5 MB\n", "X: 18446744073709551615\n"]
    for name in ["real", "no-memavailable", "garbage-zoneinfo", "garbage", "truncated", "huge"] {
        texts.append(try TempProcRoot.fixtureText(name, "meminfo"))
    }
    texts += ["MemTotal 1 kB\n", "MemTotal:\n", "MemTotal: -1 kB\n", "X: 18446744073709551616\n",
              "X: 18446744073709551615 kB\n"]
    for text in texts {
        let checked = Result { () throws(SystemReadError) in try referenceParse(text, path: "m") }
        let fast = Result { () throws(SystemReadError) in try MemInfo.parseFields(text, path: "m") }
        #expect(fast == checked, "\(text.prefix(60))")
    }
    #expect(try MemInfo.parseFields("MemTotal: 1\tkB\n", path: "m") == ["MemTotal": 1024])
}
