import Testing
@testable import FinMonCore

@Test func sumsTheLowWatermarkOfEveryZone() throws {
    // Zones DMA, DMA32, Normal: low 100 + 2000 + 5000.
    #expect(try ZoneInfo.read(procRoot: ProcFixture.root("no-memavailable")).lowWatermarkPages == 7100)
}

@Test func realFixtureSumsToTheCapturedWatermarks() throws {
    // DMA 53 + DMA32 10898 + Normal 10165 + Movable 32 + Device 0.
    #expect(try ZoneInfo.read(procRoot: ProcFixture.root("real")).lowWatermarkPages == 21148)
}

@Test func ignoresKeysThatOnlyStartWithLow() throws {
    let text = "Node 0, zone DMA\n        low      10\n        lowmem_reserve 99\n"
    #expect(try ZoneInfo.parse(text, path: "zoneinfo").lowWatermarkPages == 10)
}

@Test func garbageWatermarkIsMalformed() throws {
    let error = try #require(throws: SystemReadError.self) {
        try ZoneInfo.read(procRoot: ProcFixture.root("garbage-zoneinfo"))
    }
    #expect(error.reason == .malformed("low: 'lots' is not an unsigned integer"))
}

@Test func liveZoneinfoParses() throws {
    #expect(try ZoneInfo.read().lowWatermarkPages > 0)
}
