import Testing
@testable import FinMonCore

@Test func registrationIsIdempotentForTheSameDefinition() throws {
    let registry = MetricsRegistry()
    let first = try registry.register(.gauge, name: "g", help: "one", labelNames: ["a"])
    let second = try registry.register(.gauge, name: "g", help: "another help", labelNames: ["a"])
    #expect(first === second)
    #expect(second.help == "one")
    let histogram = try registry.register(.histogram, name: "h", help: "h", buckets: [1, 2])
    #expect(try registry.register(.histogram, name: "h", help: "h", buckets: [1, 2, .infinity]) === histogram)
    let defaults = try registry.register(.histogram, name: "d", help: "h")
    #expect(try registry.register(.histogram, name: "d", help: "h", buckets: HistogramBuckets.defaults) === defaults)
    #expect(registry.family(named: "g") === first)
}

@Test func conflictingRegistrationsThrow() throws {
    let registry = MetricsRegistry()
    try registry.register(.gauge, name: "g", help: "h", labelNames: ["a"])
    try registry.register(.histogram, name: "h", help: "h", buckets: [1])
    #expect(throws: MetricsError.conflictingRegistration(name: "g", reason: "as a gauge")) {
        try registry.register(.counter, name: "g", help: "h", labelNames: ["a"])
    }
    #expect(throws: MetricsError.conflictingRegistration(name: "g", reason: "with labels [\"a\"]")) {
        try registry.register(.gauge, name: "g", help: "h", labelNames: ["b"])
    }
    #expect(throws: MetricsError.conflictingRegistration(name: "g", reason: "with labels [\"a\"]")) {
        try registry.register(.gauge, name: "g", help: "h")
    }
    #expect(throws: MetricsError.conflictingRegistration(name: "h", reason: "with other buckets")) {
        try registry.register(.histogram, name: "h", help: "h", buckets: [1, 2])
    }
}

@Test func invalidDefinitionsThrow() throws {
    let registry = MetricsRegistry()
    #expect(throws: MetricsError.invalidMetricName("bad-name")) { try registry.register(.gauge, name: "bad-name", help: "h") }
    #expect(throws: MetricsError.invalidMetricName("")) { try registry.register(.gauge, name: "", help: "h") }
    #expect(throws: MetricsError.invalidLabelName("a:b")) {
        try registry.register(.gauge, name: "g", help: "h", labelNames: ["a:b"])
    }
    #expect(throws: MetricsError.reservedLabelName("__a")) {
        try registry.register(.gauge, name: "g", help: "h", labelNames: ["__a"])
    }
    #expect(throws: MetricsError.duplicateLabelName("a")) {
        try registry.register(.gauge, name: "g", help: "h", labelNames: ["a", "b", "a"])
    }
    #expect(throws: MetricsError.textTooLong(what: "the help text of 'g'", bytes: 65_537, limit: 65_536)) {
        try registry.register(.gauge, name: "g", help: String(repeating: "h", count: 65_537))
    }
    #expect(throws: MetricsError.invalidBuckets("only histograms take buckets")) {
        try registry.register(.counter, name: "c", help: "h", buckets: [1])
    }
    #expect(throws: MetricsError.invalidBuckets("bounds must be strictly increasing: 2.0 then 1.0")) {
        try registry.register(.histogram, name: "hh", help: "h", buckets: [2, 1])
    }
    #expect(registry.sortedFamilies().map(\.name) == [MetricsRegistry.droppedSeriesName])
}

@Test func leIsReservedOnHistogramsOnly() throws {
    let registry = MetricsRegistry()
    #expect(throws: MetricsError.reservedLabelName("le")) {
        try registry.register(.histogram, name: "h", help: "h", labelNames: ["le"])
    }
    #expect(registry.family(named: "h") == nil)
    try registry.register(.gauge, name: "g", help: "h", labelNames: ["le"])
}

@Test func aFreshRegistryHoldsOnlyTheDroppedSeriesCounter() throws {
    let registry = MetricsRegistry()
    let dropped = try #require(registry.family(named: "finmon_dropped_series_total"))
    #expect(dropped.type == .counter)
    #expect(dropped.labelNames == ["family"])
    #expect(registry.sortedFamilies().count == 1)
    #expect(registry.maxSeriesPerFamily == 10_000)
}

@Test func sortedFamiliesAreByNameAndFollowChanges() throws {
    let registry = MetricsRegistry()
    for name in ["zeta", "alpha", "mid", "Upper"] { try registry.register(.gauge, name: name, help: "h") }
    #expect(registry.sortedFamilies().map(\.name) == ["Upper", "alpha", "finmon_dropped_series_total", "mid", "zeta"])
    try registry.register(.counter, name: "beta", help: "h")
    #expect(registry.sortedFamilies().map(\.name) == ["Upper", "alpha", "beta", "finmon_dropped_series_total", "mid", "zeta"])
    #expect(registry.unregister("mid"))
    #expect(!registry.unregister("mid"))
    #expect(registry.family(named: "mid") == nil)
    #expect(registry.sortedFamilies().map(\.name) == ["Upper", "alpha", "beta", "finmon_dropped_series_total", "zeta"])
}

@Test func sampleValueReadsCountersAndGauges() throws {
    let registry = MetricsRegistry()
    try registry.register(.counter, name: "c_total", help: "h").labels([]).inc(3)
    let gauge = try registry.register(.gauge, name: "g", help: "h", labelNames: ["a", "b"])
    try gauge.labels(["1", "2"]).set(-4.5)
    #expect(registry.sampleValue(name: "c_total") == 3)
    #expect(registry.sampleValue(name: "g", labels: ["b": "2", "a": "1"]) == -4.5)
    #expect(registry.sampleValue(name: "g", labels: ["a": "2", "b": "1"]) == nil)
    #expect(registry.sampleValue(name: "g", labels: ["a": "1"]) == nil)
    #expect(registry.sampleValue(name: "g") == nil)
    #expect(registry.sampleValue(name: "missing") == nil)
    // Reading does not create a series.
    #expect(gauge.seriesCount == 1)
}

@Test func sampleValueReadsHistogramSamples() throws {
    let registry = MetricsRegistry()
    let family = try registry.register(.histogram, name: "lat", help: "h", labelNames: ["op"], buckets: [0.5, 1])
    let series = try family.labels(["read"])
    for sample in [0.25, 0.5, 0.75, 4] { try series.observe(sample) }
    #expect(registry.sampleValue(name: "lat_bucket", labels: ["op": "read", "le": "0.5"]) == 2)
    #expect(registry.sampleValue(name: "lat_bucket", labels: ["op": "read", "le": "1.0"]) == 3)
    #expect(registry.sampleValue(name: "lat_bucket", labels: ["op": "read", "le": "1"]) == 3)
    #expect(registry.sampleValue(name: "lat_bucket", labels: ["op": "read", "le": "+Inf"]) == 4)
    #expect(registry.sampleValue(name: "lat_bucket", labels: ["op": "read", "le": "0.6"]) == nil)
    #expect(registry.sampleValue(name: "lat_bucket", labels: ["op": "read"]) == nil)
    #expect(registry.sampleValue(name: "lat_count", labels: ["op": "read"]) == 4)
    #expect(registry.sampleValue(name: "lat_sum", labels: ["op": "read"]) == 5.5)
    #expect(registry.sampleValue(name: "lat_sum", labels: ["op": "read", "le": "1"]) == nil)
    #expect(registry.sampleValue(name: "lat_count", labels: ["op": "write"]) == nil)
    #expect(registry.sampleValue(name: "lat", labels: ["op": "read"]) == nil)
}

@Test func sampleValueSuffixOnANonHistogramFamilyIsNotAHistogramSample() throws {
    let registry = MetricsRegistry()
    try registry.register(.gauge, name: "queue", help: "h").labels([]).set(1)
    #expect(registry.sampleValue(name: "queue_count") == nil)
    try registry.register(.gauge, name: "queue_count", help: "h").labels([]).set(7)
    #expect(registry.sampleValue(name: "queue_count") == 7)
}

@Test func collectorsRunOnCollect() throws {
    let registry = MetricsRegistry()
    let runs = try registry.register(.gauge, name: "collector_runs", help: "h").labels([])
    registry.addCollector { try? runs.inc() }
    #expect(runs.value == 0)
    registry.collect()
    registry.collect()
    #expect(runs.value == 2)
    #expect(registry.sampleValue(name: "collector_runs") == 2)
    let text = TextExposition.renderString(registry, format: .prometheusText)
    #expect(runs.value == 3)
    // The exposition shows the value the collector just wrote.
    #expect(text.contains("collector_runs 3.0\n"))
}
