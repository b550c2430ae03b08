import Dispatch
import Testing
@testable import FinMonCore

private func makeSeries(_ type: MetricType, bounds: [Double] = []) -> Series {
    Series(familyName: "s", type: type, labelNames: [], labelValues: [], upperBounds: bounds)
}

@Test func counterStartsAtZeroAndIncreases() throws {
    let counter = makeSeries(.counter)
    #expect(counter.value == 0)
    try counter.inc()
    try counter.inc(2.5)
    try counter.inc(0)
    #expect(counter.value == 3.5)
}

@Test func counterRejectsNegativeNaNAndInfiniteIncrements() throws {
    let counter = makeSeries(.counter)
    try counter.inc(1)
    for bad in [-1.0, -0.001, Double.nan, Double.infinity, -Double.infinity] {
        #expect(throws: MetricsError.self) { try counter.inc(bad) }
    }
    #expect(counter.value == 1)
    do {
        try counter.inc(-1)
        Issue.record("a negative increment was accepted")
    } catch {
        guard case .invalidValue(let metric, let reason) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(metric == "s")
        #expect(reason.contains("-1.0"))
    }
}

@Test func counterRefusesSetDecAndObserve() {
    let counter = makeSeries(.counter)
    #expect(throws: MetricsError.wrongType(metric: "s", type: .counter, operation: "set")) { try counter.set(1) }
    #expect(throws: MetricsError.wrongType(metric: "s", type: .counter, operation: "dec")) { try counter.dec() }
    #expect(throws: MetricsError.wrongType(metric: "s", type: .counter, operation: "observe")) { try counter.observe(1) }
    #expect(counter.value == 0)
}

@Test func gaugeSetsIncrementsAndDecrements() throws {
    let gauge = makeSeries(.gauge)
    try gauge.set(10)
    try gauge.inc()
    try gauge.inc(4)
    try gauge.dec()
    try gauge.dec(20)
    #expect(gauge.value == -6)
    try gauge.inc(-4)  // a gauge may move either way
    #expect(gauge.value == -10)
    try gauge.set(-0.25)
    #expect(gauge.value == -0.25)
}

@Test func gaugeStoresNaNAndInfinities() throws {
    let gauge = makeSeries(.gauge)
    try gauge.set(.nan)
    #expect(gauge.value.isNaN)
    try gauge.set(.infinity)
    #expect(gauge.value == .infinity)
    try gauge.set(-.infinity)
    #expect(gauge.value == -.infinity)
    try gauge.set(1)
    try gauge.inc(.infinity)
    #expect(gauge.value == .infinity)
}

@Test func gaugeRefusesObserve() {
    let gauge = makeSeries(.gauge)
    #expect(throws: MetricsError.wrongType(metric: "s", type: .gauge, operation: "observe")) { try gauge.observe(1) }
}

@Test func histogramCountsIntoCumulativeBuckets() throws {
    let histogram = makeSeries(.histogram, bounds: [1, 2, .infinity])
    for sample in [0.5, 1, 1.5, 2, 3, -5] { try histogram.observe(sample) }
    let snapshot = histogram.histogramSnapshot()
    #expect(snapshot.upperBounds == [1, 2, .infinity])
    // le is inclusive: 1 lands in the first bucket, 2 in the second.
    #expect(snapshot.cumulativeCounts == [3, 5, 6])
    #expect(snapshot.count == 6)
    #expect(snapshot.sum == 3)
    #expect(histogram.value == 6)
}

@Test func histogramPutsInfinitiesInTheEdgeBuckets() throws {
    let histogram = makeSeries(.histogram, bounds: [1, .infinity])
    try histogram.observe(.infinity)
    try histogram.observe(-.infinity)
    let snapshot = histogram.histogramSnapshot()
    #expect(snapshot.cumulativeCounts == [1, 2])
    #expect(snapshot.sum.isNaN)  // +Inf + -Inf
}

@Test func histogramRejectsNaNAndCountsNothing() throws {
    let histogram = makeSeries(.histogram, bounds: [1, .infinity])
    #expect(throws: MetricsError.invalidValue(metric: "s", reason: "a histogram cannot observe NaN")) {
        try histogram.observe(.nan)
    }
    #expect(histogram.histogramSnapshot() == HistogramSnapshot(upperBounds: [1, .infinity], cumulativeCounts: [0, 0], sum: 0, count: 0))
}

@Test func histogramRefusesSetIncAndDec() {
    let histogram = makeSeries(.histogram, bounds: [1, .infinity])
    #expect(throws: MetricsError.wrongType(metric: "s", type: .histogram, operation: "set")) { try histogram.set(1) }
    #expect(throws: MetricsError.wrongType(metric: "s", type: .histogram, operation: "inc")) { try histogram.inc() }
    #expect(throws: MetricsError.wrongType(metric: "s", type: .histogram, operation: "dec")) { try histogram.dec() }
}

@Test func resetZeroesValueAndHistogram() throws {
    let gauge = makeSeries(.gauge)
    try gauge.set(7)
    gauge.reset()
    #expect(gauge.value == 0)
    let histogram = makeSeries(.histogram, bounds: [1, .infinity])
    try histogram.observe(0.5)
    histogram.reset()
    #expect(histogram.histogramSnapshot().cumulativeCounts == [0, 0])
    #expect(histogram.histogramSnapshot().sum == 0)
    #expect(histogram.value == 0)
}

@Test func storeBypassesTheCounterCheck() {
    let counter = makeSeries(.counter)
    counter.store(42)
    counter.store(3)  // kernel-sourced values are taken as they are
    #expect(counter.value == 3)
}

@Test func concurrentIncrementsAreNotLost() {
    let counter = makeSeries(.counter)
    let gauge = makeSeries(.gauge)
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
        for _ in 0..<100_000 {
            try? counter.inc()
            try? gauge.inc()
        }
    }
    #expect(counter.value == 800_000)
    #expect(gauge.value == 800_000)
}

@Test func concurrentObservationsAreNotLost() {
    let histogram = makeSeries(.histogram, bounds: [0.5, .infinity])
    DispatchQueue.concurrentPerform(iterations: 8) { worker in
        for _ in 0..<10_000 { try? histogram.observe(worker % 2 == 0 ? 0.25 : 1) }
    }
    let snapshot = histogram.histogramSnapshot()
    #expect(snapshot.cumulativeCounts == [40_000, 80_000])
    #expect(snapshot.count == 80_000)
    #expect(snapshot.sum == 50_000)
}

@Test func detachedSeriesStillAcceptsWrites() throws {
    let gauge = makeSeries(.gauge)
    #expect(!gauge.isDetached)
    gauge.detach()
    #expect(gauge.isDetached)
    try gauge.set(5)
    #expect(gauge.value == 5)
}
