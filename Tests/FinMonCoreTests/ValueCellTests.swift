import Testing
@testable import FinMonCore

private func gauge() -> Series {
    Series(familyName: "g", type: .gauge, labelNames: ["k"], labelValues: ["a"], upperBounds: [])
}

@Test func aStoreThroughTheCellAddressIsTheSeriesValue() throws {
    let series = gauge()
    let words = series.cellAddress.assumingMemoryBound(to: Double.self)
    #expect(Int(bitPattern: series.cellAddress) % 8 == 0)
    words[0] = 2.5  // what a host's store does
    #expect(series.value == 2.5)
    try series.inc(1)
    #expect(words[0] == 3.5)
    try series.set(-1)
    #expect(words[0] == -1)
}

@Test func theSecondWordIsTheRemovedFlag() {
    let series = gauge()
    let words = series.cellAddress.assumingMemoryBound(to: Double.self)
    #expect(words[1] == 0)
    #expect(!series.isRemoved)
    series.markRemoved()
    #expect(words[1] == 1.0)
    #expect(series.isRemoved)
    #expect(series.isDetached)
}

@Test func aFamilyMarksTheSeriesItRemovesOrClears() throws {
    let family = try MetricsRegistry().register(.gauge, name: "cells", help: "Cells.", labelNames: ["k"])
    let removed = try family.labels(["a"])
    let cleared = try family.labels(["b"])
    try family.remove(["a"])
    #expect(removed.cellAddress.assumingMemoryBound(to: Double.self)[1] == 1.0)
    family.clear()
    #expect(cleared.cellAddress.assumingMemoryBound(to: Double.self)[1] == 1.0)
}

@Test func aCounterReadsItsOwnPartPlusTheHostShard() throws {
    let series = Series(familyName: "c", type: .counter, labelNames: [], labelValues: [], upperBounds: [])
    #expect(series.cellWords == 3)
    let words = series.cellAddress.assumingMemoryBound(to: Double.self)
    try series.inc(2)
    words[2] += 5  // what a host's add to its shard does
    #expect(series.value == 7)
    #expect(words[0] == 2)  // the library's part is its own
    series.reset()  // an unlabeled metric's clear: the host's words stay untouched
    #expect(series.value == 0)
    #expect(words[2] == 5)
    words[2] += 1
    #expect(series.value == 1)
}

@Test func aHistogramsCountIsTheSumOfItsBucketsHostShardIncluded() throws {
    let bounds = try HistogramBuckets.normalize([1, 2])
    let series = Series(familyName: "h", type: .histogram, labelNames: [], labelValues: [], upperBounds: bounds)
    #expect(series.cellWords == 3 + 2 * 3)
    let words = series.cellAddress.assumingMemoryBound(to: Double.self)
    #expect(Array(UnsafeBufferPointer(start: words + 6, count: 3)) == [1, 2, .infinity])  // the bounds, for the host
    try series.observe(0.5)
    words[2] += 1.5  // a host's observation of 1.5: its sum, then bucket 1
    words[3 + 1] += 1
    var snapshot = series.histogramSnapshot()
    #expect(snapshot.cumulativeCounts == [1, 2, 2])
    #expect(snapshot.count == 2)
    #expect(snapshot.sum == 2.0)
    #expect(series.value == 2)
    words[3 + 2] = -.nan  // nonsense from a host reads as no observation, never a trap
    words[3 + 0] = 1e300
    snapshot = series.histogramSnapshot()
    #expect(snapshot.count == snapshot.cumulativeCounts.last)
    series.reset()
    #expect(series.histogramSnapshot().count == 0)
}

@Test func removalsAreCountedProcessWide() throws {
    let counter = Series.removalsAddress.assumingMemoryBound(to: UInt64.self)
    let before = counter.pointee
    gauge().markRemoved()
    #expect(counter.pointee >= before &+ 1)
}
