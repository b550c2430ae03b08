import Testing
@testable import FinMonCore

@Test func normalizeAppendsPlusInf() throws {
    #expect(try HistogramBuckets.normalize([1, 2, 5]) == [1, 2, 5, .infinity])
    #expect(try HistogramBuckets.normalize([-1, 0]) == [-1, 0, .infinity])
}

@Test func normalizeKeepsOneTrailingPlusInf() throws {
    #expect(try HistogramBuckets.normalize([0.1, .infinity]) == [0.1, .infinity])
}

@Test func defaultsArePrometheusClientsAndNormalize() throws {
    #expect(HistogramBuckets.defaults == [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0])
    #expect(try HistogramBuckets.normalize(HistogramBuckets.defaults) == HistogramBuckets.defaults + [.infinity])
}

@Test func normalizeNeedsAFiniteBound() {
    #expect(throws: MetricsError.invalidBuckets("at least one finite bucket bound is needed")) {
        try HistogramBuckets.normalize([])
    }
    #expect(throws: MetricsError.invalidBuckets("at least one finite bucket bound is needed")) {
        try HistogramBuckets.normalize([.infinity])
    }
}

@Test func normalizeRefusesUnsortedAndRepeatedBounds() {
    #expect(throws: MetricsError.invalidBuckets("bounds must be strictly increasing: 2.0 then 1.0")) {
        try HistogramBuckets.normalize([2, 1])
    }
    #expect(throws: MetricsError.invalidBuckets("bounds must be strictly increasing: 1.0 then 1.0")) {
        try HistogramBuckets.normalize([1, 1])
    }
}

@Test func normalizeRefusesNonFiniteBoundsBeforeTheLast() {
    for bad: [Double] in [[.nan], [1, .nan], [-.infinity, 1], [1, .infinity, .infinity], [.infinity, 1]] {
        #expect(throws: MetricsError.self) { try HistogramBuckets.normalize(bad) }
    }
}

@Test func normalizeAllowsAtMost1000Bounds() throws {
    let thousand = (0..<1_000).map(Double.init)
    #expect(try HistogramBuckets.normalize(thousand).count == 1_001)
    #expect(throws: MetricsError.invalidBuckets("1001 buckets; at most 1000")) {
        try HistogramBuckets.normalize((0..<1_001).map(Double.init))
    }
}
