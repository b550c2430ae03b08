import Testing
@testable import FinMonCore

@Test func messagesQuoteNamesAndExplainTheRule() {
    #expect(MetricsError.invalidMetricName("1x").description
        == "invalid metric name '1x': must match [a-zA-Z_:][a-zA-Z0-9_:]*")
    #expect(MetricsError.invalidLabelName("a:b").description
        == "invalid label name 'a:b': must match [a-zA-Z_][a-zA-Z0-9_]*")
    #expect(MetricsError.reservedLabelName("le").description
        == "label name 'le' is reserved (names starting with __, and 'le' on histograms)")
    #expect(MetricsError.duplicateLabelName("a").description == "label name 'a' appears twice")
    #expect(MetricsError.textTooLong(what: "help", bytes: 70_000, limit: 65_536).description
        == "help is 70000 bytes long; the limit is 65536")
    #expect(MetricsError.conflictingRegistration(name: "x", reason: "as a gauge").description
        == "metric 'x' is already registered as a gauge")
    #expect(MetricsError.unknownMetric("nope").description == "no metric named 'nope' is registered")
    #expect(MetricsError.labelMismatch(metric: "m", expected: ["a", "b"], got: ["c"]).description
        == "metric 'm' takes labels [\"a\", \"b\"], got [\"c\"]")
    #expect(MetricsError.invalidBuckets("at least one").description == "invalid histogram buckets: at least one")
    #expect(MetricsError.invalidValue(metric: "c", reason: "negative").description == "'c': negative")
    #expect(MetricsError.wrongType(metric: "c", type: .counter, operation: "set").description
        == "'c' is a counter; set is not defined for it")
}

@Test func quoteKeepsUpTo80BytesWhole() {
    let eighty = String(repeating: "n", count: 80)
    #expect(MetricsError.quote(eighty) == "'\(eighty)'")
    #expect(MetricsError.quote("") == "''")
}

@Test func quoteTruncatesLongTextAndGivesItsLength() {
    let long = String(repeating: "n", count: 81)
    #expect(MetricsError.quote(long) == "'\(String(repeating: "n", count: 80))...' (81 bytes)")
    let huge = String(repeating: "x", count: 1_000_000)
    let message = MetricsError.invalidMetricName(huge).description
    #expect(message.utf8.count < 200)
    #expect(message.contains("(1000000 bytes)"))
}

@Test func quoteStaysShortForOneHugeGraphemeCluster() {
    // One "character" can hold any number of combining marks; the cut must not count characters.
    let cluster = "a" + String(repeating: "\u{301}", count: 100_000)
    #expect(cluster.count == 1)
    let quoted = MetricsError.quote(cluster)
    #expect(quoted.utf8.count < 200)
    #expect(quoted.hasSuffix("...' (\(cluster.utf8.count) bytes)"))
}

@Test func quoteCutsMultiByteTextOnAScalarBoundary() {
    let text = String(repeating: "é", count: 100)  // 200 bytes
    let quoted = MetricsError.quote(text)
    #expect(quoted == "'\(String(repeating: "é", count: 40))...' (200 bytes)")
}
