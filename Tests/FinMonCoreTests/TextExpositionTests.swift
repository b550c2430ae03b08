import Testing
@testable import FinMonCore

/// A registry small enough to write its exposition out by hand.
private func smallRegistry() throws -> MetricsRegistry {
    let registry = MetricsRegistry()
    let requests = try registry.register(.counter, name: "requests_total", help: "Requests by code.", labelNames: ["code"])
    try requests.labels(["500"]).inc(2)
    try requests.labels(["200"]).inc(5)
    try registry.register(.counter, name: "errors", help: "Errors seen.").labels([]).inc()
    try registry.register(.gauge, name: "temp", help: "Temperature \"inside\" \\ path\nsecond line", labelNames: ["room"])
        .labels(["a\"b\\c\nd"]).set(21.5)
    let latency = try registry.register(.histogram, name: "lat", help: "Latency.", labelNames: ["op"], buckets: [0.5, 1])
    for sample in [0.25, 0.75, 2] { try latency.labels(["read"]).observe(sample) }
    return registry
}

@Test func prometheusTextIsExact() throws {
    let expected = #"""
        # HELP errors_total Errors seen.
        # TYPE errors_total counter
        errors_total 1.0
        # HELP finmon_dropped_series_total Series not created because their family reached its series limit.
        # TYPE finmon_dropped_series_total counter
        # HELP lat Latency.
        # TYPE lat histogram
        lat_bucket{op="read",le="0.5"} 1
        lat_bucket{op="read",le="1.0"} 2
        lat_bucket{op="read",le="+Inf"} 3
        lat_count{op="read"} 3
        lat_sum{op="read"} 3.0
        # HELP requests_total Requests by code.
        # TYPE requests_total counter
        requests_total{code="200"} 5.0
        requests_total{code="500"} 2.0
        # HELP temp Temperature "inside" \\ path\nsecond line
        # TYPE temp gauge
        temp{room="a\"b\\c\nd"} 21.5

        """#
    #expect(TextExposition.renderString(try smallRegistry(), format: .prometheusText) == expected)
}

@Test func openMetricsIsExact() throws {
    let expected = #"""
        # HELP errors Errors seen.
        # TYPE errors counter
        errors_total 1.0
        # HELP finmon_dropped_series Series not created because their family reached its series limit.
        # TYPE finmon_dropped_series counter
        # HELP lat Latency.
        # TYPE lat histogram
        lat_bucket{op="read",le="0.5"} 1
        lat_bucket{op="read",le="1.0"} 2
        lat_bucket{op="read",le="+Inf"} 3
        lat_count{op="read"} 3
        lat_sum{op="read"} 3.0
        # HELP requests Requests by code.
        # TYPE requests counter
        requests_total{code="200"} 5.0
        requests_total{code="500"} 2.0
        # HELP temp Temperature \"inside\" \\ path\nsecond line
        # TYPE temp gauge
        temp{room="a\"b\\c\nd"} 21.5
        # EOF

        """#
    #expect(TextExposition.renderString(try smallRegistry(), format: .openMetrics) == expected)
}

@Test func renderBytesMatchRenderString() throws {
    let registry = try smallRegistry()
    #expect(TextExposition.render(registry, format: .openMetrics) == Array(TextExposition.renderString(registry, format: .openMetrics).utf8))
}

@Test func helpAndTypeAppearOncePerFamily() throws {
    let registry = MetricsRegistry()
    let family = try registry.register(.gauge, name: "many", help: "h", labelNames: ["i"])
    for i in 0..<50 { try family.labels([String(i)]).set(Double(i)) }
    for format in [ExpositionFormat.prometheusText, .openMetrics] {
        let lines = TextExposition.renderString(registry, format: format).split(separator: "\n")
        #expect(lines.filter { $0 == "# HELP many h" }.count == 1)
        #expect(lines.filter { $0 == "# TYPE many gauge" }.count == 1)
        #expect(lines.filter { $0.hasPrefix("many{") }.count == 50)
    }
}

@Test func familiesAndSeriesAreSorted() throws {
    let registry = MetricsRegistry()
    for name in ["c", "a", "b"] {
        let family = try registry.register(.gauge, name: name, help: "h", labelNames: ["k"])
        for key in ["z", "x", "y"] { try family.labels([key]).set(1) }
    }
    let samples = TextExposition.renderString(registry, format: .prometheusText)
        .split(separator: "\n").filter { !$0.hasPrefix("#") }
    #expect(samples == [
        #"a{k="x"} 1.0"#, #"a{k="y"} 1.0"#, #"a{k="z"} 1.0"#,
        #"b{k="x"} 1.0"#, #"b{k="y"} 1.0"#, #"b{k="z"} 1.0"#,
        #"c{k="x"} 1.0"#, #"c{k="y"} 1.0"#, #"c{k="z"} 1.0"#,
    ])
}

@Test func histogramBucketsAreCumulativeWithoutLabels() throws {
    let registry = MetricsRegistry()
    let series = try registry.register(.histogram, name: "h", help: "h", buckets: [1, 2, 3]).labels([])
    for sample in [0.5, 0.5, 2.5, 2.5, 2.5, 10] { try series.observe(sample) }
    let samples = TextExposition.renderString(registry, format: .prometheusText)
        .split(separator: "\n").filter { $0.hasPrefix("h_") }
    #expect(samples == [
        #"h_bucket{le="1.0"} 2"#, #"h_bucket{le="2.0"} 2"#, #"h_bucket{le="3.0"} 5"#, #"h_bucket{le="+Inf"} 6"#,
        "h_count 6", "h_sum 18.5",
    ])
}

@Test func specialGaugeValuesAreSpelledOut() throws {
    let registry = MetricsRegistry()
    let family = try registry.register(.gauge, name: "v", help: "h", labelNames: ["k"])
    try family.labels(["a"]).set(.nan)
    try family.labels(["b"]).set(.infinity)
    try family.labels(["c"]).set(-.infinity)
    try family.labels(["d"]).set(1e-05)
    let text = TextExposition.renderString(registry, format: .prometheusText)
    #expect(text.contains("v{k=\"a\"} NaN\nv{k=\"b\"} +Inf\nv{k=\"c\"} -Inf\nv{k=\"d\"} 1e-05\n"))
}

@Test func openMetricsEndsWithEOFAndTextDoesNot() throws {
    let empty = MetricsRegistry()
    #expect(empty.unregister(MetricsRegistry.droppedSeriesName))
    #expect(TextExposition.renderString(empty, format: .openMetrics) == "# EOF\n")
    #expect(TextExposition.renderString(empty, format: .prometheusText) == "")
    let text = TextExposition.renderString(try smallRegistry(), format: .openMetrics)
    #expect(text.hasSuffix("\n# EOF\n"))
    #expect(text.split(separator: "\n").filter { $0.hasPrefix("# EOF") }.count == 1)
    #expect(!TextExposition.renderString(try smallRegistry(), format: .prometheusText).contains("# EOF"))
}

@Test func openMetricsCounterNamesAreFamilyWithoutTotalSampleWithTotal() throws {
    let registry = MetricsRegistry()
    try registry.register(.counter, name: "jobs_total", help: "h").labels([]).inc()
    try registry.register(.counter, name: "bytes", help: "h").labels([]).inc(2)
    try registry.register(.gauge, name: "level_total", help: "h").labels([]).set(3)
    let lines = TextExposition.renderString(registry, format: .openMetrics).split(separator: "\n").map(String.init)
    #expect(lines.contains("# TYPE jobs counter"))
    #expect(lines.contains("jobs_total 1.0"))
    #expect(lines.contains("# TYPE bytes counter"))
    #expect(lines.contains("bytes_total 2.0"))
    // Only counters are renamed.
    #expect(lines.contains("# TYPE level_total gauge"))
    #expect(lines.contains("level_total 3.0"))
    let text = TextExposition.renderString(registry, format: .prometheusText).split(separator: "\n").map(String.init)
    #expect(text.contains("bytes_total 2.0") && text.contains("# TYPE bytes_total counter"))
    #expect(text.contains("# TYPE jobs_total counter"))
}

/// prometheus_client exposes a counter registered as `jobs` as `jobs_total` in both
/// formats; a query must not depend on which format Prometheus negotiated.
@Test func aCounterWithoutTheSuffixIsExposedWithItInBothFormats() throws {
    let registry = MetricsRegistry()
    try registry.register(.counter, name: "jobs", help: "Jobs.").labels([]).inc(2)
    let text = TextExposition.renderString(registry, format: .prometheusText)
    let open = TextExposition.renderString(registry, format: .openMetrics)
    #expect(text.contains("# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 2.0\n"))
    #expect(open.contains("# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 2.0\n"))
    #expect(!text.contains("\njobs ") && !open.contains("\njobs "))
    #expect(registry.sampleValue(name: "jobs_total") == 2)
    #expect(registry.sampleValue(name: "jobs") == nil)
    // Either spelling taken by the other kind would expose the same samples twice.
    #expect(throws: MetricsError.self) { try registry.register(.counter, name: "jobs_total", help: "Jobs.") }
    #expect(throws: MetricsError.self) { try registry.register(.gauge, name: "jobs_total", help: "Jobs.") }
    try registry.register(.gauge, name: "queue", help: "Q.")
    #expect(throws: MetricsError.self) { try registry.register(.counter, name: "queue_total", help: "Q.") }
}
