import Testing
@testable import FinMonCore

@Test func compressedTextInflatesBackExactly() throws {
    let text = Array("# HELP x y\n# TYPE x gauge\nx 1.0\n".utf8)
    let zipped = try #require(Gzip.compress(text))
    #expect(zipped.starts(with: [0x1f, 0x8b]))  // the gzip magic, not a bare zlib stream
    #expect(Gunzip.decompress(zipped) == text)
}

@Test func repetitiveExpositionShrinks() throws {
    var text: [UInt8] = []
    for i in 0..<5_000 { text.append(contentsOf: "container_memory_usage_bytes{container_id=\"\(i)\"} 123456.0\n".utf8) }
    let zipped = try #require(Gzip.compress(text))
    #expect(zipped.count * 5 < text.count)
    #expect(Gunzip.decompress(zipped) == text)
}

@Test func incompressibleAndEmptyInputsRoundTrip() throws {
    var generator = SystemRandomNumberGenerator()
    let noise = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    #expect(Gunzip.decompress(try #require(Gzip.compress(noise))) == noise)
    #expect(Gunzip.decompress(try #require(Gzip.compress([]))) == [])
    #expect(Gunzip.decompress(try #require(Gzip.compress(noise, level: 9))) == noise)
}

@Test func truncatedGzipIsRejectedByTheTestInflater() throws {
    // Guards the helper the exporter tests rely on: it must not accept half a stream.
    let zipped = try #require(Gzip.compress(Array(repeating: 7, count: 1_000)))
    #expect(Gunzip.decompress(Array(zipped.dropLast(4))) == nil)
}

@Test func gzipIsAcceptedWhenListedWithAPositiveWeight() {
    #expect(Gzip.accepted(by: "gzip"))
    #expect(Gzip.accepted(by: "GZIP"))
    #expect(Gzip.accepted(by: "deflate, gzip"))
    #expect(Gzip.accepted(by: "gzip, deflate, br"))
    #expect(Gzip.accepted(by: "gzip;q=0.5"))
    #expect(Gzip.accepted(by: "br;q=1.0, gzip ; q=0.1"))
}

@Test func gzipIsRefusedWhenAbsentOrWeightedZero() {
    #expect(!Gzip.accepted(by: nil))
    #expect(!Gzip.accepted(by: ""))
    #expect(!Gzip.accepted(by: "identity"))
    #expect(!Gzip.accepted(by: "deflate, br"))
    #expect(!Gzip.accepted(by: "gzip;q=0"))
    #expect(!Gzip.accepted(by: "gzip; q=0.0, deflate"))
}

@Test func wildcardStandsForGzipUnlessGzipIsListed() {
    #expect(Gzip.accepted(by: "*"))
    #expect(Gzip.accepted(by: "br, *;q=0.1"))
    #expect(!Gzip.accepted(by: "*;q=0"))
    // An explicit entry for gzip overrides the wildcard, in either order (RFC 9110, 12.5.3).
    #expect(!Gzip.accepted(by: "gzip;q=0, *"))
    #expect(!Gzip.accepted(by: "*, gzip;q=0"))
    #expect(Gzip.accepted(by: "*;q=0, gzip"))
}
