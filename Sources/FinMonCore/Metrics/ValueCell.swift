import Synchronization

/// The memory a counter's or gauge's value lives in: two 8-byte words of the library's
/// own heap at an address that never moves, so that a host may store a gauge's value
/// there directly (see `finmon_series_cell` in include/finmon/series.h) instead of
/// making a call per `set`.
///
/// Word 0 holds the value's bit pattern; word 1 is 0 until the series is removed from its
/// family, then the bit pattern of 1.0 (so a host reading the pair as two doubles sees
/// 0.0 or 1.0). The library reads and writes both words atomically.
///
/// Why a host's plain store is safe here (the memory-ordering argument):
/// - No torn values: the words are 8-byte aligned (`allocate` aligns to at least 8), and
///   an aligned 8-byte store or load is single-copy atomic on the platforms the library
///   is built for (x86-64, arm64). A scrape's load sees the old or the new value.
/// - Nothing else is published through the value, so the library's relaxed accesses lose
///   nothing: the same holds for a `set` made through the C ABI.
/// - A store racing an increment's compare-and-exchange makes that exchange fail and
///   retry on the stored value, or lands after it: the outcomes of two ordered calls.
/// - Removal stores word 1 with release before the family forgets the series; a host
///   stores the value, then loads word 1. Reading 0, its store came before the removal
///   (as a C call's `set` racing a `remove` may); reading 1.0, it re-creates the series.
/// - After `fork` the child has its own copy of the heap: its stores never reach the parent.
///
/// Example:
///     let cell = ValueCell()
///     cell.store(2.5)
///     cell.load()       // 2.5
///     cell.markRemoved()
///     cell.isRemoved    // true
///     cell.free()
struct ValueCell: @unchecked Sendable {
    // @unchecked: the pointer is written only through the atomics below, and freed by
    // the owning Series' deinit when nothing can reach it any more.
    private let words: UnsafeMutablePointer<Atomic<UInt64>>

    init() {
        words = .allocate(capacity: 2)
        words.initialize(to: Atomic(0.0.bitPattern))
        (words + 1).initialize(to: Atomic(0))
    }

    /// The address of word 0, for a host that maps the cell.
    var address: UnsafeMutableRawPointer { UnsafeMutableRawPointer(words) }

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

    var isRemoved: Bool { (words + 1).pointee.load(ordering: .acquiring) != 0 }

    func markRemoved() { (words + 1).pointee.store(1.0.bitPattern, ordering: .releasing) }

    /// Only from the owner's deinit.
    func free() {
        words.deinitialize(count: 2)
        words.deallocate()
    }
}
