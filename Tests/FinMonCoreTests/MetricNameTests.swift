import Testing
@testable import FinMonCore

@Test func metricNamesFollowThePrometheusGrammar() throws {
    for valid in ["a", "_", ":", "abc_def", "a1", "job:rate5m", "A_Z:9", "__internal"] {
        try MetricName.validateMetricName(valid)
    }
    for invalid in ["", "1abc", "9", "a-b", "a b", "a.b", "é", "a\n", "{x}"] {
        #expect(throws: MetricsError.invalidMetricName(invalid)) { try MetricName.validateMetricName(invalid) }
    }
}

@Test func labelNamesRefuseColonsAndLeadingDigits() throws {
    for valid in ["a", "_", "a1", "container_id", "_x", "le"] {
        try MetricName.validateLabelName(valid)
    }
    for invalid in ["", "1a", "a:b", ":", "a-b", "a b", "ü"] {
        #expect(throws: MetricsError.invalidLabelName(invalid)) { try MetricName.validateLabelName(invalid) }
    }
}

@Test func labelNamesStartingWithTwoUnderscoresAreReserved() {
    for reserved in ["__", "__name__", "__x"] {
        #expect(throws: MetricsError.reservedLabelName(reserved)) { try MetricName.validateLabelName(reserved) }
    }
}

@Test func namesAreLimitedTo1024Bytes() throws {
    let longest = String(repeating: "a", count: MetricName.maxNameBytes)
    try MetricName.validateMetricName(longest)
    try MetricName.validateLabelName(longest)
    let tooLong = longest + "a"
    #expect(throws: MetricsError.invalidMetricName(tooLong)) { try MetricName.validateMetricName(tooLong) }
    #expect(throws: MetricsError.invalidLabelName(tooLong)) { try MetricName.validateLabelName(tooLong) }
}

@Test func textIsLimitedTo64KiB() throws {
    #expect(MetricName.maxTextBytes == 65_536)
    try MetricName.validateText(String(repeating: "x", count: MetricName.maxTextBytes), what: "help")
    try MetricName.validateText("", what: "help")
    #expect(throws: MetricsError.textTooLong(what: "help", bytes: 65_537, limit: 65_536)) {
        try MetricName.validateText(String(repeating: "x", count: 65_537), what: "help")
    }
    // The limit counts UTF-8 bytes, not characters: 32,769 two-byte characters are over it.
    #expect(throws: MetricsError.textTooLong(what: "v", bytes: 65_538, limit: 65_536)) {
        try MetricName.validateText(String(repeating: "é", count: 32_769), what: "v")
    }
}
