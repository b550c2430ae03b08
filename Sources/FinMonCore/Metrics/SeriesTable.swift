/// A family's series by their label values: an open-addressing hash table (linear probing)
/// of the series themselves, each compared by the key bytes it holds.
///
/// Why not `[LabelKey: Series]`: a dictionary stores each key beside its value, so every
/// series had its key twice (then a 48-byte malloc chunk for one 12-byte value; inline
/// now, still 24 bytes) and a bucket holding both. Here a lookup compares the key bytes the
/// series keeps anyway (`Series.labels`) and a bucket is one reference: about 60 bytes less
/// per series when it was measured (issue #16, resident memory with 10,000 series). Removal shifts the following entries back instead of
/// leaving tombstones, so a family that churns through series never fills up with them.
///
/// Not thread-safe: the family keeps it under its lock.
///
/// Example:
///     var table = SeriesTable()
///     let key = LabelKey(["web"])
///     table.insert(Series(familyName: "up", type: .gauge, labelNames: ["job"], labelKey: key, upperBounds: []))
///     key.withUnsafeBytes { table.find($0) }   // the series
struct SeriesTable {
    /// A power of two long (or empty); at most three quarters full.
    private var slots: [Series?] = []
    private(set) var count = 0

    /// The series whose key bytes are `key`, if any.
    func find(_ key: UnsafeRawBufferPointer) -> Series? {
        guard let index = index(of: key) else { return nil }
        return slots[index]
    }

    /// Adds a series whose key is not in the table yet.
    mutating func insert(_ series: Series) {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        var index = series.withKeyBytes { Self.hash($0) } & (slots.count - 1)
        while slots[index] != nil { index = (index + 1) & (slots.count - 1) }
        slots[index] = series
        count += 1
    }

    /// Removes and returns the series whose key bytes are `key`, if any.
    mutating func remove(_ key: UnsafeRawBufferPointer) -> Series? {
        guard var hole = index(of: key) else { return nil }
        let removed = slots[hole]
        slots[hole] = nil
        count -= 1
        // Backward shift: an entry after the hole moves into it unless its home slot lies
        // cyclically after the hole (then a lookup starting there would not pass the hole).
        let mask = slots.count - 1
        var next = (hole + 1) & mask
        while let moving = slots[next] {
            let home = moving.withKeyBytes { Self.hash($0) } & mask
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = moving
                slots[next] = nil
                hole = next
            }
            next = (next + 1) & mask
        }
        return removed
    }

    /// Every series, in no particular order.
    var all: [Series] { slots.compactMap { $0 } }

    mutating func removeAll() {
        slots = []
        count = 0
    }

    private func index(of key: UnsafeRawBufferPointer) -> Int? {
        guard count > 0 else { return nil }
        let mask = slots.count - 1
        var index = Self.hash(key) & mask
        while let series = slots[index] {
            if series.hasKey(key) { return index }
            index = (index + 1) & mask
        }
        return nil
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: max(8, old.count * 2))
        count = 0
        for case let series? in old { insert(series) }
    }

    private static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: key)
        return hasher.finalize()
    }
}
