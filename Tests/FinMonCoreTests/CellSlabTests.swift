import Synchronization
import Testing
@testable import FinMonCore

@Test func cellsMadeOneAfterAnotherAreAdjacent() {
    let slab = CellSlab()
    let gauges = (0..<100).map { _ in slab.allocate(words: 2) }
    for (previous, next) in zip(gauges, gauges.dropFirst()) {
        #expect(next - previous == 16)
    }
    let counter = slab.allocate(words: 4)
    #expect(counter - gauges[99] == 16)
    #expect(slab.allocate(words: 2) - counter == 32)
    #expect(slab.usage.chunks == 1)
}

@Test func everySlotIsSixteenByteAligned() {
    let slab = CellSlab()
    for words in [1, 2, 3, 4, 5, 7, 9, 31, 64] {
        #expect(Int(bitPattern: slab.allocate(words: words)) % 16 == 0)
    }
}

@Test func aFreedSlotServesTheNextCellOfItsSizeOnly() {
    let slab = CellSlab()
    let first = slab.allocate(words: 2)
    let second = slab.allocate(words: 2)
    slab.free(first, words: 2)
    #expect(slab.usage.freeSlots == 1)
    let counter = slab.allocate(words: 4)  // another size: not the freed slot
    #expect(counter != first)
    #expect(slab.allocate(words: 2) == first)
    #expect(slab.usage.freeSlots == 0)
    #expect(slab.allocate(words: 2) - counter == 32)
    #expect(second - first == 16)
}

@Test func aFullChunkStartsAnother() {
    let slab = CellSlab()
    let perChunk = CellSlab.chunkBytes / 16
    let cells = (0..<(perChunk + 1)).map { _ in slab.allocate(words: 2) }
    #expect(slab.usage.chunks == 2)
    #expect(Set(cells).count == cells.count)
}

@Test func aLargeCellIsAllocatedAloneAndFreed() {
    let slab = CellSlab()
    let words = CellSlab.largestSlabbedBytes / 8 + 1
    let chunks = slab.usage.chunks
    let large = slab.allocate(words: words)
    #expect(slab.usage.chunks == chunks)
    large.initializeMemory(as: UInt64.self, repeating: 7, count: words)
    slab.free(large, words: words)
    #expect(slab.usage.freeSlots == 0)
}

@Test func aRemovedSeriesCellIsNotReusedWhileTheSeriesLives() throws {
    let family = try MetricsRegistry().register(.gauge, name: "slab_reuse", help: "Slab.", labelNames: ["k"])
    var kept: Series? = try family.labels(["a"])
    let address = kept!.cellAddress
    try kept!.set(5)
    try family.remove(["a"])
    // What a host's pin does: the series lives, so its slot is not handed out again.
    let others = try (0..<256).map { try family.labels(["n\($0)"]) }
    #expect(!others.contains { $0.cellAddress == address })
    address.assumingMemoryBound(to: Double.self)[0] = 9  // a host's late store
    #expect(others.allSatisfy { $0.value == 0 })
    #expect(kept!.value == 9)
    kept = nil
}

@Test func concurrentAllocationsNeverShareASlot() async {
    let slab = CellSlab()
    let all = await withTaskGroup(of: [Int].self) { group in
        for _ in 0..<4 {
            group.addTask {
                var mine: [Int] = []
                for round in 0..<2_000 {
                    let cell = slab.allocate(words: 2)
                    if round % 3 == 0 {
                        slab.free(cell, words: 2)
                    } else {
                        mine.append(Int(bitPattern: cell))
                    }
                }
                return mine
            }
        }
        var all: [Int] = []
        for await part in group { all += part }
        return all
    }
    #expect(Set(all).count == all.count)
}

@Test func theRemovalsCountsDoubleFollowsTheCountUnderRacingRemovals() async {
    let count = ValueCell.removals
    let mirror = UnsafeRawPointer(ValueCell.removals + 1).assumingMemoryBound(to: Double.self)
    let before = count.pointee.load(ordering: .acquiring)
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<4 {
            group.addTask {
                for _ in 0..<250 {
                    let cell = ValueCell()
                    cell.markRemoved()
                    cell.free()
                }
            }
        }
    }
    // Other tests remove series meanwhile: ours alone raised it this far, and it never
    // runs ahead of the count.
    #expect(mirror.pointee >= Double(before + 1_000))
    #expect(mirror.pointee <= Double(count.pointee.load(ordering: .acquiring)))
    #expect(Int(bitPattern: UnsafeRawPointer(count)) % 16 == 0)
}
