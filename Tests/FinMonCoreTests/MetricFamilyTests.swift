import Testing
@testable import FinMonCore

private func labeledGauge(_ registry: MetricsRegistry = MetricsRegistry(), maxSeries: Int? = nil) throws -> MetricFamily {
    try registry.register(.gauge, name: "g", help: "h", labelNames: ["a", "b"], maxSeries: maxSeries)
}

@Test func labelsByOrderAndByNameReachTheSameSeries() throws {
    let family = try labeledGauge()
    let byOrder = try family.labels(["x", "y"])
    let byName = try family.labels(named: ["b": "y", "a": "x"])
    #expect(byOrder === byName)
    #expect(byOrder.labelValues == ["x", "y"])
    #expect(try family.labels(["y", "x"]) !== byOrder)
    #expect(family.seriesCount == 2)
    #expect(family.existingSeries(["x", "y"]) === byOrder)
    #expect(family.existingSeries(["nope", "y"]) == nil)
}

@Test func labelsWithTheWrongCountOrNamesThrow() throws {
    let family = try labeledGauge()
    #expect(throws: MetricsError.labelMismatch(metric: "g", expected: ["a", "b"], got: ["1 values"])) {
        try family.labels(["x"])
    }
    #expect(throws: MetricsError.labelMismatch(metric: "g", expected: ["a", "b"], got: [])) {
        try family.labels([])
    }
    #expect(throws: MetricsError.labelMismatch(metric: "g", expected: ["a", "b"], got: ["a", "c"])) {
        try family.labels(named: ["a": "1", "c": "2"])
    }
    #expect(throws: MetricsError.labelMismatch(metric: "g", expected: ["a", "b"], got: ["a"])) {
        try family.labels(named: ["a": "1"])
    }
    #expect(throws: MetricsError.labelMismatch(metric: "g", expected: ["a", "b"], got: ["3 values"])) {
        try family.remove(["1", "2", "3"])
    }
    #expect(family.seriesCount == 0)
}

@Test func labelValuesAreLimitedInLength() throws {
    let family = try labeledGauge()
    let long = String(repeating: "v", count: MetricName.maxTextBytes + 1)
    #expect(throws: MetricsError.textTooLong(what: "a label value of 'g'", bytes: MetricName.maxTextBytes + 1, limit: MetricName.maxTextBytes)) {
        try family.labels(["x", long])
    }
    #expect(family.seriesCount == 0)
}

@Test func manyInsertsThenRemovesLeaveNothing() throws {
    let family = try labeledGauge(maxSeries: 20_000)
    for i in 0..<10_000 { try family.labels([String(i), "b"]).set(Double(i)) }
    #expect(family.seriesCount == 10_000)
    #expect(family.sortedSeries().count == 10_000)
    for i in 0..<10_000 {
        let removed = try family.remove([String(i), "b"])
        #expect(removed?.value == Double(i))
    }
    #expect(family.seriesCount == 0)
    #expect(family.sortedSeries().isEmpty)
}

@Test func seriesPastTheLimitGoToTheOverflowSinkAndAreCounted() throws {
    let registry = MetricsRegistry()
    let family = try registry.register(.counter, name: "capped", help: "h", labelNames: ["k"], maxSeries: 3)
    let kept = try (1...3).map { try family.labels([String($0)]) }
    #expect(kept.allSatisfy { !$0.isDetached && $0 !== family.overflowSink })
    let fourth = try family.labels(["4"])
    #expect(fourth === family.overflowSink)
    #expect(fourth.isDetached)
    try fourth.inc()  // writes succeed and go nowhere
    #expect(family.seriesCount == 3)
    #expect(registry.sampleValue(name: MetricsRegistry.droppedSeriesName, labels: ["family": "capped"]) == 1)
    #expect(try family.labels(["5"]) === family.overflowSink)
    #expect(registry.sampleValue(name: MetricsRegistry.droppedSeriesName, labels: ["family": "capped"]) == 2)
    // An existing series is still handed out, and is not a drop.
    #expect(try family.labels(["2"]) === kept[1])
    #expect(registry.sampleValue(name: MetricsRegistry.droppedSeriesName, labels: ["family": "capped"]) == 2)
    // Removing one makes room again.
    try family.remove(["1"])
    let fresh = try family.labels(["4"])
    #expect(fresh !== family.overflowSink)
    #expect(!fresh.isDetached)
}

@Test func registryLimitAppliesWhenNoPerFamilyLimitIsGiven() throws {
    let registry = MetricsRegistry(maxSeriesPerFamily: 2)
    let family = try registry.register(.gauge, name: "g", help: "h", labelNames: ["k"])
    #expect(family.maxSeries == 2)
    _ = try family.labels(["1"])
    _ = try family.labels(["2"])
    #expect(try family.labels(["3"]) === family.overflowSink)
    #expect(MetricsRegistry(maxSeriesPerFamily: 0).maxSeriesPerFamily == 1)
}

@Test func removeReturnsTheDetachedSeriesOrNil() throws {
    let family = try labeledGauge()
    let series = try family.labels(["x", "y"])
    try series.set(3)
    let removed = try family.remove(named: ["a": "x", "b": "y"])
    #expect(removed === series)
    #expect(series.isDetached)
    #expect(try family.remove(["x", "y"]) == nil)
    #expect(family.existingSeries(["x", "y"]) == nil)
    // Asking again creates a new, zeroed series.
    let again = try family.labels(["x", "y"])
    #expect(again !== series)
    #expect(again.value == 0)
}

@Test func removeOnAFamilyWithoutLabelsThrows() throws {
    let family = try MetricsRegistry().register(.gauge, name: "plain", help: "h")
    #expect(throws: MetricsError.invalidValue(metric: "plain", reason: "a metric without labels has no series to remove")) {
        try family.remove([])
    }
}

@Test func familyWithoutLabelsHasOneSeriesFromTheStart() throws {
    let family = try MetricsRegistry().register(.counter, name: "plain_total", help: "h")
    #expect(family.seriesCount == 1)
    let only = try family.labels([])
    #expect(try family.labels(named: [:]) === only)
    #expect(family.sortedSeries().count == 1)
    #expect(family.sortedSeries().first === only)
}

@Test func clearOnAnUnlabeledFamilyResetsButKeepsTheSeries() throws {
    let family = try MetricsRegistry().register(.gauge, name: "plain", help: "h")
    let only = try family.labels([])
    try only.set(9)
    #expect(family.clear().isEmpty)
    #expect(only.value == 0)
    #expect(!only.isDetached)
    #expect(try family.labels([]) === only)
    #expect(family.seriesCount == 1)
}

@Test func clearOnALabeledFamilyRemovesAndDetachesEverything() throws {
    let family = try labeledGauge()
    let one = try family.labels(["1", "x"])
    let two = try family.labels(["2", "x"])
    _ = family.sortedSeries()
    let cleared = family.clear()
    #expect(cleared.count == 2)
    #expect(cleared.contains { $0 === one } && cleared.contains { $0 === two })
    #expect(one.isDetached && two.isDetached)
    #expect(family.seriesCount == 0)
    #expect(family.sortedSeries().isEmpty)
    _ = try family.labels(["3", "x"])
    #expect(family.sortedSeries().map(\.labelValues) == [["3", "x"]])
}

@Test func sortedSeriesOrdersByLabelValuesAndFollowsChanges() throws {
    let family = try labeledGauge()
    for values in [["b", "1"], ["a", "2"], ["a", "10"], ["c", "0"]] { _ = try family.labels(values) }
    #expect(family.sortedSeries().map(\.labelValues) == [["a", "10"], ["a", "2"], ["b", "1"], ["c", "0"]])
    _ = try family.labels(["a", "0"])
    #expect(family.sortedSeries().map(\.labelValues) == [["a", "0"], ["a", "10"], ["a", "2"], ["b", "1"], ["c", "0"]])
    try family.remove(["b", "1"])
    #expect(family.sortedSeries().map(\.labelValues) == [["a", "0"], ["a", "10"], ["a", "2"], ["c", "0"]])
    // A lookup of an existing series changes nothing.
    _ = try family.labels(["c", "0"])
    #expect(family.sortedSeries().count == 4)
}

@Test func histogramFamilySeriesShareTheBounds() throws {
    let family = try MetricsRegistry().register(.histogram, name: "h", help: "h", labelNames: ["k"], buckets: [1, 2])
    #expect(family.upperBounds == [1, 2, .infinity])
    let series = try family.labels(["x"])
    try series.observe(1.5)
    #expect(series.histogramSnapshot().cumulativeCounts == [0, 1, 1])
    #expect(family.overflowSink.histogramSnapshot().upperBounds == [1, 2, .infinity])
}
