import Synchronization

/// The memory a series' value lives in, at an address that never moves, so that a host
/// may write there directly (see `finmon_series_cell` and `finmon_series_shard` in
/// include/finmon/series.h) instead of making a call per update.
///
/// Layout, in 8-byte words:
/// - word 0: a counter's or gauge's value (the library's part of a counter);
/// - word 1: 0 until the series is removed from its family, then the bit pattern of 1.0
///   (so a host reading the words as doubles sees 0.0 or 1.0);
/// - `hostWords` words the host adds to, and only the host writes (its *shard*): a
///   counter's increments (one word); a histogram's sum, then one count per bucket (as
///   doubles, exact to 2^53);
/// - the constants a host needs to write its shard: a histogram's upper bounds;
/// - `hostWords` library-only words: the shard's value at the last reset (a reset of an
///   unlabeled metric must not write the host's words, which the host may be updating).
///
/// The library reads and writes every word atomically; a host reads and writes aligned
/// 8-byte words (see finmon/series.h), single-copy atomic on x86-64 and arm64.
///
/// Why a host's plain stores are safe here (the memory-ordering argument):
/// - No torn values: the words are 8-byte aligned (`CellSlab` hands out 16-byte aligned
///   slots), and an aligned 8-byte store or load is single-copy atomic on the platforms the
///   library is built for (x86-64, arm64). A scrape's load sees the old or the new value.
/// - A cell's memory is reused (`CellSlab`) only after its series' deinit, which a host's
///   pin (`finmon_series_cell`) holds off: no store of a host reaches another series.
/// - Nothing else is published through the value, so the library's relaxed accesses lose
///   nothing: the same holds for a `set` made through the C ABI.
/// - A gauge store racing an increment's compare-and-exchange makes that exchange fail
///   and retry on the stored value, or lands after it: the outcomes of two ordered calls.
/// - A shard has one writer, the host (which serializes its own threads: finmon's Python
///   relies on CPython's GIL, see python/finmon/_cells.py), so its read-modify-writes lose
///   nothing; the library's increments go to word 0 or its histogram counts, never to the
///   shard. A read is the library's part plus the shard's: each only grows (a counter,
///   a bucket count), so successive scrapes never see a counter or a bucket go down.
/// - A histogram's count is never read from a word: it is the sum of the bucket counts a
///   read saw, so `_count` always equals the `+Inf` bucket and the cumulative buckets
///   never decrease with `le`, whatever a host's writes interleave with. The sum is read
///   on its own and may be one observation ahead of or behind the buckets, as with
///   prometheus_client, whose sum and buckets are separate values too.
/// - Removal stores word 1 with release before the family forgets the series, then bumps
///   `removals`; a host stores, then loads word 1 (or `removals`). Reading 0 (or the
///   count it knew), its store came before the removal (as a C call's update racing a
///   `remove` may); otherwise it re-creates the series and makes its update again there.
///   The count's double is raised (with release) after the count, to at least the count
///   this removal made, so a host that reads it instead of the count sees every removal
///   whose flag it could have missed.
/// - After `fork` the child has its own copy of the heap: its stores never reach the parent.
///
/// Example:
///     let cell = ValueCell(hostWords: 1)
///     cell.store(2.5)
///     cell.load()         // 2.5
///     cell.hostPart(0)    // 0.0 until a host adds to word 2
///     cell.markRemoved()
///     cell.isRemoved      // true
///     cell.free()
struct ValueCell: @unchecked Sendable {
    // @unchecked: the pointer is written only through the atomics below, and freed by
    // the owning Series' deinit when nothing can reach it any more.
    private let words: UnsafeMutablePointer<Atomic<UInt64>>
    /// How many words the host adds to (0 for a gauge).
    let hostWords: Int
    private let constantCount: Int

    /// How many removals the library has made, process-wide (a count, not a double): a
    /// host that wrote many cells checks this one word instead of each removed flag. The
    /// next word holds the same count as a double, for a host that reads its cells as
    /// doubles (exact to 2^53 removals). Both lie in the slab's first slot, next to the cells.
    static var removals: UnsafeMutablePointer<Atomic<UInt64>> { CellSlab.shared.removals }

    init(hostWords: Int = 0, constants: [Double] = []) {
        self.hostWords = hostWords
        constantCount = constants.count
        let total = 2 + 2 * hostWords + constants.count
        // From the slab, next to the cells made just before it (CellSlab: locality for a
        // host's loop), not a malloc block of its own among the series' other allocations.
        words = CellSlab.shared.allocate(words: total).bindMemory(to: Atomic<UInt64>.self, capacity: total)
        words.initialize(to: Atomic(0.0.bitPattern))
        for i in 1..<total { (words + i).initialize(to: Atomic(0)) }
        for (i, constant) in constants.enumerated() {
            (words + 2 + hostWords + i).pointee.store(constant.bitPattern, ordering: .relaxed)
        }
    }

    /// The address of word 0, for a host that maps the cell.
    var address: UnsafeMutableRawPointer { UnsafeMutableRawPointer(words) }

    /// The words a host may see: value, removed flag, its shard and the constants.
    var hostVisibleWords: Int { 2 + hostWords + constantCount }

    func load() -> Double { Double(bitPattern: words.pointee.load(ordering: .relaxed)) }

    func store(_ value: Double) { words.pointee.store(value.bitPattern, ordering: .relaxed) }

    func add(_ amount: Double) {
        var old = words.pointee.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + amount).bitPattern
            let (exchanged, current) = words.pointee.compareExchange(expected: old, desired: new, ordering: .relaxed)
            if exchanged { return }
            old = current
        }
    }

    /// The host's part of shard word `index` since the last reset (0 without a host).
    func hostPart(_ index: Int) -> Double {
        let host = Double(bitPattern: (words + 2 + index).pointee.load(ordering: .relaxed))
        let base = Double(bitPattern: (words + 2 + hostWords + constantCount + index).pointee.load(ordering: .relaxed))
        return host - base
    }

    /// A shard word that holds a count, as one: a host's nonsense (NaN, negative) reads 0.
    func hostCount(_ index: Int) -> UInt64 {
        let part = hostPart(index)
        guard part > 0 else { return 0 }
        return part < 1.8446744073709552e19 ? UInt64(part) : .max
    }

    /// Makes the shard read 0 from now on, without writing the host's words.
    func resetHost() {
        for i in 0..<hostWords {
            let host = (words + 2 + i).pointee.load(ordering: .relaxed)
            (words + 2 + hostWords + constantCount + i).pointee.store(host, ordering: .relaxed)
        }
    }

    var isRemoved: Bool { (words + 1).pointee.load(ordering: .acquiring) != 0 }

    func markRemoved() {
        (words + 1).pointee.store(1.0.bitPattern, ordering: .releasing)
        let count = Self.removals.pointee.wrappingAdd(1, ordering: .releasing).newValue
        // The double follows the count: racing removals raise it to the largest count they
        // made (the bit patterns of non-negative doubles order as the doubles do), so it
        // never goes back and ends at the count itself.
        let desired = Double(count).bitPattern
        var current = (Self.removals + 1).pointee.load(ordering: .relaxed)
        while current < desired {
            let (exchanged, seen) = (Self.removals + 1).pointee.compareExchange(
                expected: current, desired: desired, ordering: .releasing)
            if exchanged { break }
            current = seen
        }
    }

    /// Only from the owner's deinit.
    func free() {
        let total = 2 + 2 * hostWords + constantCount
        words.deinitialize(count: total)
        CellSlab.shared.free(UnsafeMutableRawPointer(words), words: total)
    }
}
