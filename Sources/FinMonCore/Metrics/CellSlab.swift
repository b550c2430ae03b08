import Glibc
import Synchronization

/// Where value cells live: chunks of memory handed out in creation order, so the cells of
/// series made together (a collector's catalog, one loop's labelled children) lie next to
/// each other, a few cache lines and one page for a whole iteration's updates, instead of
/// one malloc block each among the series' other allocations.
///
/// Why: a host writes its cells straight from its loop (`finmon_series_cell`), right after
/// its own work has evicted them; every cell on a line or page of its own is one more cache
/// and TLB miss per update (Benchmarks/RESULTS-spine.md (e)).
///
/// - Sizes are multiples of 16 bytes (a gauge's cell is one 16-byte slot, a counter's two);
///   every slot is 16-byte aligned, so every word is 8-byte aligned (the memory-ordering
///   argument in `ValueCell` needs no more).
/// - A freed slot goes to a free list of its size and is handed out again by a later
///   cell of that size. A cell is freed only by its series' deinit, and a host's pin
///   (`CellPins`) keeps the series alive, so no slot a host still maps is ever reused.
/// - Chunks are never returned: the slots of removed series are reused instead.
/// - Cells above `largestSlabbedBytes` (histograms with hundreds of buckets) take an
///   allocation of their own.
/// - A spin lock guards the lists (a few loads and stores under it; series creation only,
///   never an update). `fork` takes it first (`pthread_atfork`), so a child never starts
///   with it held by a thread it does not have.
///
/// Example:
///     let words = CellSlab.shared.allocate(words: 2)   // 16 bytes, next to the last cell made
///     CellSlab.shared.free(words, words: 2)            // its slot serves the next 2-word cell
final class CellSlab: @unchecked Sendable {
    // @unchecked: `state` and `heads` are read and written only between `lock()` and
    // `unlock()`, and `lockWord` only atomically.

    /// The slab every value cell comes from. `fork` takes its lock first (`pthread_atfork`).
    /// Its first slot is the removals count (`ValueCell.removals`): the page a catalog's
    /// cells lie in, which a host reads right after its stores.
    static let shared: CellSlab = {
        let slab = CellSlab()
        pthread_atfork({ CellSlab.shared.lock() }, { CellSlab.shared.unlock() }, { CellSlab.shared.unlock() })
        return slab
    }()

    /// The slab's first slot: the removals count, then the same count as a double (what a
    /// host's view of the cells as doubles reads). Only `shared`'s is used.
    let removals: UnsafeMutablePointer<Atomic<UInt64>>

    /// One chunk: 64 KiB, 4,096 gauges' cells.
    static let chunkBytes = 64 * 1024
    /// Cells larger than this are allocated alone.
    static let largestSlabbedBytes = 4096
    static let slotBytes = 16

    private struct State {
        var chunk: UnsafeMutableRawPointer?
        var used = CellSlab.chunkBytes
        var chunks = 0
        var freeSlots = 0
    }

    // Behind pointers, not stored properties: no exclusivity check or copy-on-write test
    // per series created (the lock already serializes every access).
    private let state: UnsafeMutablePointer<State>
    /// The first free slot of each size (in slots); each free slot holds the next.
    private let heads: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let lockWord: UnsafeMutablePointer<Atomic<Bool>>

    /// A slab of its own (tests); cells use `shared`. Its chunks are never freed.
    init() {
        lockWord = .allocate(capacity: 1)
        lockWord.initialize(to: Atomic(false))
        let sizes = Self.largestSlabbedBytes / Self.slotBytes + 1
        heads = .allocate(capacity: sizes)
        heads.initialize(repeating: nil, count: sizes)
        // The first chunk now, its first slot the removals count.
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkBytes, alignment: 4096)
        removals = chunk.bindMemory(to: Atomic<UInt64>.self, capacity: 2)
        removals.initialize(to: Atomic(0))
        (removals + 1).initialize(to: Atomic(0))
        state = .allocate(capacity: 1)
        state.initialize(to: State(chunk: chunk, used: Self.slotBytes, chunks: 1, freeSlots: 0))
    }

    private func lock() {
        var spins = 0
        while !lockWord.pointee.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            spins += 1
            if spins >= 100 {
                spins = 0
                sched_yield()
            }
        }
    }

    private func unlock() { lockWord.pointee.store(false, ordering: .releasing) }

    private static func bytes(forWords words: Int) -> Int { (words * 8 + slotBytes - 1) / slotBytes * slotBytes }

    /// Memory for `words` 8-byte words, 16-byte aligned, uninitialized.
    func allocate(words: Int) -> UnsafeMutableRawPointer {
        let size = Self.bytes(forWords: words)
        guard size <= Self.largestSlabbedBytes else {
            return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: Self.slotBytes)
        }
        lock()
        defer { unlock() }
        let slots = size / Self.slotBytes
        if let head = heads[slots] {
            heads[slots] = head.load(as: UnsafeMutableRawPointer?.self)
            state.pointee.freeSlots -= slots
            return head
        }
        if state.pointee.used + size > Self.chunkBytes {
            // The rest of the old chunk (less than one large cell) stays unused.
            // Page-aligned: the first 4 KiB of cells (256 gauges) share one page, one TLB entry.
            state.pointee.chunk = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkBytes, alignment: 4096)
            state.pointee.used = 0
            state.pointee.chunks += 1
        }
        let slot = state.pointee.chunk.unsafelyUnwrapped + state.pointee.used
        state.pointee.used += size
        return slot
    }

    /// Gives back what `allocate(words:)` returned for the same `words`. Its contents must be
    /// deinitialized and nothing may read or write it any more.
    func free(_ memory: UnsafeMutableRawPointer, words: Int) {
        let size = Self.bytes(forWords: words)
        guard size <= Self.largestSlabbedBytes else {
            memory.deallocate()
            return
        }
        lock()
        defer { unlock() }
        let slots = size / Self.slotBytes
        memory.storeBytes(of: heads[slots], as: UnsafeMutableRawPointer?.self)
        heads[slots] = memory
        state.pointee.freeSlots += slots
    }

    /// Chunks allocated and 16-byte slots on free lists (for tests).
    var usage: (chunks: Int, freeSlots: Int) {
        lock()
        defer { unlock() }
        return (state.pointee.chunks, state.pointee.freeSlots)
    }
}
