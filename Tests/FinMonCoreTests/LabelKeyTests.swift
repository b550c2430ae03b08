import Testing
@testable import FinMonCore

@Test func labelKeysKeepEveryValueApartEvenWithNulInside() {
    // 0xFF never occurs in UTF-8: values holding NUL (or the empty value) cannot collide.
    #expect(LabelKey(["a\0b", "c"]) != LabelKey(["a", "b\0c"]))
    #expect(LabelKey(["", "x"]) != LabelKey(["x", ""]))
    #expect(LabelKey(["é", "x"]).values(count: 2) == ["é", "x"])
    #expect(LabelKey(["", ""]).values(count: 2) == ["", ""])
    #expect(LabelKey([""]).values(count: 1) == [""])
    #expect(LabelKey([]).values(count: 0) == [])
    var seen: Set<LabelKey> = [LabelKey(["web", "eu"])]
    #expect(!seen.insert(LabelKey(["web", "eu"])).inserted)
    #expect(seen.insert(LabelKey(["web", "us"])).inserted)
}

@Test func seriesSortByValuesAsBeforeTheKeyChanged() throws {
    // NUL-joined order: a value sorts before its own extensions ("a" < "a0" < "ab").
    let family = try MetricsRegistry().register(.gauge, name: "g", help: "h", labelNames: ["k", "j"])
    for values in [["ab", "1"], ["a", "2"], ["a0", "3"], ["a", "1"]] { _ = try family.labels(values) }
    #expect(family.sortedSeries().map(\.labelValues) == [["a", "1"], ["a", "2"], ["a0", "3"], ["ab", "1"]])
}

@Test func theLabelBlockIsEscapedFromThePackedValues() throws {
    let family = try MetricsRegistry().register(.gauge, name: "g", help: "h", labelNames: ["k", "j"])
    let series = try family.labels(["a\"b\\c\nd", "é"])
    #expect(String(decoding: series.labelBlock, as: UTF8.self) == #"k="a\"b\\c\nd",j="é""#)
    #expect(series.labelValues == ["a\"b\\c\nd", "é"])
}

@Test func removingByASeriesRemovesWhatIsStoredUnderItsValues() throws {
    let family = try MetricsRegistry().register(.gauge, name: "g", help: "h", labelNames: ["k"])
    let first = try family.labels(["x"])
    #expect(try family.remove(labelsOf: first) === first)
    #expect(first.isRemoved)
    #expect(try family.remove(labelsOf: first) == nil)
    // Re-created for the same values: the old series names the new one.
    let second = try family.labels(["x"])
    #expect(second !== first)
    #expect(try family.remove(labelsOf: first) === second)
    #expect(family.seriesCount == 0)
    let unlabeled = try MetricsRegistry().register(.gauge, name: "u", help: "h", labelNames: [])
    #expect(throws: MetricsError.self) { try unlabeled.remove(labelsOf: unlabeled.existingSeries([])!) }
    #expect(throws: MetricsError.self) { try unlabeled.remove(key: LabelKey([])) }
    #expect(unlabeled.seriesCount == 1)
}
