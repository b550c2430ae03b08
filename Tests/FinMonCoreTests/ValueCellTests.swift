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
