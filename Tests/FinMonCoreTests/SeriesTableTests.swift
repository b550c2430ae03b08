import Glibc
import Testing
@testable import FinMonCore

private func gauge(_ value: String) -> Series {
    Series(familyName: "g", type: .gauge, labelNames: ["k"], labelValues: [value], upperBounds: [])
}

private func find(_ table: SeriesTable, _ value: String) -> Series? {
    LabelKey([value]).bytes.withUnsafeBytes { table.find($0) }
}

@Test func theTableFindsEverySeriesThroughGrowthAndChurn() {
    // Enough entries to grow several times and to make probe runs that a removal must
    // shift back; removals in a scrambled order, then re-inserts into the freed slots.
    var table = SeriesTable()
    var stored: [String: Series] = [:]
    for i in 0..<3_000 {
        let series = gauge("v\(i)")
        table.insert(series)
        stored["v\(i)"] = series
    }
    #expect(table.count == 3_000)
    for i in stride(from: 0, to: 3_000, by: 1) where (i &* 2_654_435_761) % 3 != 0 {
        let removed = LabelKey(["v\(i)"]).bytes.withUnsafeBytes { table.remove($0) }
        #expect(removed === stored["v\(i)"])
        stored["v\(i)"] = nil
    }
    #expect(table.count == stored.count)
    for i in 0..<3_000 {
        #expect(find(table, "v\(i)") === stored["v\(i)"])
    }
    for i in 0..<500 where stored["v\(i)"] == nil {
        let series = gauge("v\(i)")
        table.insert(series)
        stored["v\(i)"] = series
    }
    #expect(table.count == stored.count)
    #expect(Set(table.all.map(ObjectIdentifier.init)) == Set(stored.values.map(ObjectIdentifier.init)))
    for (value, series) in stored { #expect(find(table, value) === series) }
    #expect(find(table, "absent") == nil)
    #expect(LabelKey(["absent"]).bytes.withUnsafeBytes { table.remove($0) } == nil)
    table.removeAll()
    #expect(table.count == 0 && find(table, "v1") == nil && table.all.isEmpty)
}

@Test func theTableTellsAnEmptyKeyFromAnEmptyValueOfALongerKey() {
    var table = SeriesTable()
    let none = Series(familyName: "u", type: .gauge, labelNames: [], labelValues: [], upperBounds: [])
    let pair = Series(familyName: "p", type: .gauge, labelNames: ["a", "b"], labelValues: ["", ""], upperBounds: [])
    table.insert(none)
    table.insert(pair)
    #expect([UInt8]().withUnsafeBytes { table.find($0) } === none)
    #expect(LabelKey(["", ""]).bytes.withUnsafeBytes { table.find($0) } === pair)
}

/// glibc's `malloc_usable_size` (not in the Glibc module: malloc.h is not part of it).
private func mallocUsableSize(_ pointer: UnsafeRawPointer) -> Int {
    typealias Function = @convention(c) (UnsafeRawPointer?) -> Int
    guard let symbol = dlsym(nil, "malloc_usable_size") else { return Int.max }
    return unsafeBitCast(symbol, to: Function.self)(pointer)
}

@Test func aCounterOrGaugeSeriesFitsANinetySixByteMallocChunk() {
    // Resident memory per series (issue #16): the object's fields are ordered and its
    // rarely used parts boxed (SeriesShape, SeriesExtras) so that it stays in glibc's
    // 96-byte chunk (88 usable bytes); a field added carelessly shows here.
    // A key of up to 16 bytes is inside the object too (PackedLabels), longer ones not.
    for type in [MetricType.gauge, .counter] {
        for value in ["a", "0123456789abcdef", String(repeating: "x", count: 40)] {
            let series = Series(familyName: "g", type: type, labelNames: ["k"], labelValues: [value], upperBounds: [])
            let usable = mallocUsableSize(Unmanaged.passUnretained(series).toOpaque())
            #expect(usable <= 88)
            #expect(series.labels.isInline == (value.utf8.count <= PackedLabels.inlineCapacity))
            // The packed key and the label block made from it with the family's names.
            #expect(series.labelKey == LabelKey([value]))
            #expect(String(decoding: series.labelBlock, as: UTF8.self) == "k=\"\(value)\"")
        }
    }
}
