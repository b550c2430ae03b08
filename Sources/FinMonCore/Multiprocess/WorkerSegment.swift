import Glibc
import Synchronization

/// The shared memory of one multiprocess run: every process of the run (the parent and
/// its workers, forked or spawned) writes its metric values into a slot of its own, and
/// the parent's exporter adds them up at each scrape.
///
/// Its size is fixed when the parent creates it (`slots`, `entries`, `valuesPerSlot`), so
/// worker churn costs nothing over time: an exited worker's counters and histograms are
/// folded into slot 0 (the run's "exited workers" totals, so totals never go backwards)
/// and its slot is reused. A worker writes its slot at each update (no buffer to flush),
/// so one killed by SIGKILL loses only an update it was in the middle of.
///
/// Layout (64-bit words): a header of 16 words; `entries` series entries of 64 words
/// each (value offset, value count, kind, payload length, then the payload: the series'
/// family, help, type, label names and values and buckets as JSON, written once); then
/// `slots + 1` slots of 4 header words (owner pid, owner start time, 2 spare) and
/// `valuesPerSlot` value words.
///
/// ```swift
/// let segment = try WorkerSegment.create(slots: 64)
/// let again = try WorkerSegment.open(path: segment.path)   // in a spawned worker
/// ```
public final class WorkerSegment: @unchecked Sendable {
    // @unchecked: the mapping is shared memory; every word is accessed through Atomic.
    static let magic: UInt64 = 0x4649_4E4D_4F4E_5031  // "FINMONP1"
    static let headerWords = 16
    static let entryWords = 64
    static let slotHeaderWords = 4
    /// Payload bytes an entry holds (the rest of its 64 words).
    static let payloadCapacity = (entryWords - 4) * 8

    enum Header: Int {
        case magic = 0, slots, entries, valuesPerSlot, lock, entryCount, valuesUsed, ownerPID,
             sequence, foldedWorkers, droppedEntries, claims, ownerStart
    }

    public enum Kind: UInt64, Sendable { case counter = 0, gauge = 1, histogram = 2 }

    public let path: String
    public let slots: Int
    public let entries: Int
    public let valuesPerSlot: Int
    /// Bytes mapped: the same after 10 workers and after 10,000.
    public let size: Int
    fileprivate let words: UnsafeMutablePointer<Atomic<UInt64>>
    private let raw: UnsafeMutableRawPointer

    private init(path: String, raw: UnsafeMutableRawPointer, size: Int) {
        self.path = path
        self.raw = raw
        self.size = size
        words = raw.bindMemory(to: Atomic<UInt64>.self, capacity: size / 8)
        slots = Int(words[Header.slots.rawValue].load(ordering: .acquiring))
        entries = Int(words[Header.entries.rawValue].load(ordering: .acquiring))
        valuesPerSlot = Int(words[Header.valuesPerSlot.rawValue].load(ordering: .acquiring))
    }

    deinit { munmap(raw, size) }

    static func byteSize(slots: Int, entries: Int, valuesPerSlot: Int) -> Int {
        8 * (headerWords + entries * entryWords + (slots + 1) * (slotHeaderWords + valuesPerSlot))
    }

    /// Creates the run's segment in /dev/shm (`finmon-<pid>-<random>`); the parent removes
    /// it with `unlink()` at stop (workers that still have it mapped keep their mapping).
    public static func create(
        slots: Int = 256, entries: Int = 2048, valuesPerSlot: Int = 16_384, directory: String = "/dev/shm"
    ) throws(MultiprocessError) -> WorkerSegment {
        guard (1...65_536).contains(slots), (1...1_000_000).contains(entries), (1...10_000_000).contains(valuesPerSlot)
        else { throw .invalid("slots, entries and values per slot must be positive and bounded") }
        let size = byteSize(slots: slots, entries: entries, valuesPerSlot: valuesPerSlot)
        removeStale(in: directory)
        let name = "\(directory)/finmon-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let fd = Glibc.open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system("create \(name)", errno) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else {
            let code = errno
            Glibc.unlink(name)
            throw .system("size \(name)", code)
        }
        guard let raw = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), raw != MAP_FAILED else {
            let code = errno
            Glibc.unlink(name)
            throw .system("map \(name)", code)
        }
        let words = raw.bindMemory(to: Atomic<UInt64>.self, capacity: size / 8)
        words[Header.slots.rawValue].store(UInt64(slots), ordering: .relaxed)
        words[Header.entries.rawValue].store(UInt64(entries), ordering: .relaxed)
        words[Header.valuesPerSlot.rawValue].store(UInt64(valuesPerSlot), ordering: .relaxed)
        let me = ProcessIdentity.current()
        words[Header.ownerPID.rawValue].store(UInt64(me.pid), ordering: .relaxed)
        words[Header.ownerStart.rawValue].store(me.start, ordering: .relaxed)
        words[Header.magic.rawValue].store(magic, ordering: .releasing)
        return WorkerSegment(path: name, raw: raw, size: size)
    }

    /// Maps an existing segment (what a spawned worker's `finmon.attach()` does).
    public static func open(path: String) throws(MultiprocessError) -> WorkerSegment {
        let fd = Glibc.open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open \(path)", errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system("stat \(path)", errno) }
        let size = Int(info.st_size)
        guard size >= 8 * headerWords,
              let raw = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), raw != MAP_FAILED
        else { throw .invalid("\(path) is not a finmon segment") }
        let words = raw.bindMemory(to: Atomic<UInt64>.self, capacity: size / 8)
        let slots = Int(words[Header.slots.rawValue].load(ordering: .relaxed))
        let entries = Int(words[Header.entries.rawValue].load(ordering: .relaxed))
        let values = Int(words[Header.valuesPerSlot.rawValue].load(ordering: .relaxed))
        guard words[Header.magic.rawValue].load(ordering: .acquiring) == magic,
              byteSize(slots: slots, entries: entries, valuesPerSlot: values) == size else {
            munmap(raw, size)
            throw .invalid("\(path) is not a finmon segment")
        }
        return WorkerSegment(path: path, raw: raw, size: size)
    }

    /// Removes the segment's name (the parent, at stop).
    public func unlink() { _ = Glibc.unlink(path) }

    /// Removes the segments of runs whose parent is gone (killed before it could remove
    /// its own): only files named `finmon-<pid>-<hex>` that carry the magic and whose
    /// owner (pid and start time) no longer runs. Returns how many.
    @discardableResult
    static func removeStale(in directory: String) -> Int {
        guard let folder = opendir(directory) else { return 0 }
        defer { closedir(folder) }
        var removed = 0
        while let item = readdir(folder) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0] == "finmon", Int32(parts[1]) != nil, UInt32(parts[2], radix: 16) != nil,
                  let owner = ownerOfSegment(at: "\(directory)/\(name)"),
                  !ProcessIdentity.isAlive(pid: owner.pid, start: owner.start) else { continue }
            if Glibc.unlink("\(directory)/\(name)") == 0 { removed += 1 }
        }
        return removed
    }

    /// The creator recorded in a segment's header; nil for a file that is not a segment.
    private static func ownerOfSegment(at path: String) -> (pid: Int32, start: UInt64)? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var header = [UInt64](repeating: 0, count: headerWords)
        let read = header.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard read == 8 * headerWords, header[Header.magic.rawValue] == magic else { return nil }
        return (Int32(truncatingIfNeeded: header[Header.ownerPID.rawValue]), header[Header.ownerStart.rawValue])
    }

    // MARK: words

    func header(_ field: Header) -> UInt64 { words[field.rawValue].load(ordering: .acquiring) }

    private func entryBase(_ index: Int) -> Int { Self.headerWords + index * Self.entryWords }

    func slotBase(_ slot: Int) -> Int {
        Self.headerWords + entries * Self.entryWords + slot * (Self.slotHeaderWords + valuesPerSlot)
    }

    func value(slot: Int, at offset: Int) -> UInt64 {
        words[slotBase(slot) + Self.slotHeaderWords + offset].load(ordering: .relaxed)
    }

    /// Only the slot's owner writes its values, so a load and a store make an update;
    /// the atomic store keeps a scrape from seeing half a word.
    func store(slot: Int, at offset: Int, _ bits: UInt64) {
        words[slotBase(slot) + Self.slotHeaderWords + offset].store(bits, ordering: .relaxed)
    }

    /// Adds to a value word; a compare-and-swap, since several threads of the owner may add at once.
    func addDouble(slot: Int, at offset: Int, _ amount: Double) {
        let index = slotBase(slot) + Self.slotHeaderWords + offset
        var old = words[index].load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + amount).bitPattern
            let (exchanged, current) = words[index].compareExchange(expected: old, desired: new, ordering: .relaxed)
            if exchanged { return }
            old = current
        }
    }

    func nextSequence() -> UInt64 {
        words[Header.sequence.rawValue].add(1, ordering: .relaxed).newValue
    }

    // MARK: the lock (entries and folding)

    /// A spin lock owned by a pid; one held by a process that died (SIGKILL while
    /// folding) is taken over after a second.
    func withLock<T>(_ body: () -> T) -> T {
        let me = UInt64(getpid())
        let lock = Header.lock.rawValue
        var spins = 0
        var waitingSince: timespec?
        while true {
            let (won, holder) = words[lock].compareExchange(expected: 0, desired: me, ordering: .acquiring)
            if won { break }
            spins += 1
            if spins < 64 { continue }
            sched_yield()
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            if let since = waitingSince {
                if now.tv_sec - since.tv_sec >= 1 && !ProcessIdentity.isAlive(pid: Int32(truncatingIfNeeded: holder)) {
                    _ = words[lock].compareExchange(expected: holder, desired: 0, ordering: .relaxed)
                    waitingSince = nil
                }
            } else {
                waitingSince = now
            }
        }
        defer { words[lock].store(0, ordering: .releasing) }
        return body()
    }

    // MARK: entries

    var entryCount: Int { Int(header(.entryCount)) }

    /// The entry's value offset, value count and kind (what a merge and a fold read).
    func entryShape(_ index: Int) -> (offset: Int, count: Int, kind: Kind) {
        let base = entryBase(index)
        return (Int(words[base].load(ordering: .relaxed)), Int(words[base + 1].load(ordering: .relaxed)),
                Kind(rawValue: words[base + 2].load(ordering: .relaxed)) ?? .counter)
    }

    /// The entry's payload (`SeriesPayload`'s JSON), copied out of the segment.
    func entryPayload(_ index: Int) -> [UInt8] {
        let base = entryBase(index)
        let length = Int(words[base + 3].load(ordering: .relaxed))
        let bytes = UnsafeRawPointer(raw) + 8 * (base + 4)
        return Array(UnsafeRawBufferPointer(start: bytes, count: min(length, Self.payloadCapacity)))
    }

    /// Whether the entry's payload is `payload`, compared in place (no copy).
    private func entryHolds(_ index: Int, _ payload: [UInt8]) -> Bool {
        let base = entryBase(index)
        guard Int(words[base + 3].load(ordering: .relaxed)) == payload.count else { return false }
        let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(raw) + 8 * (base + 4), count: payload.count)
        return bytes.elementsEqual(payload)
    }

    /// The value offset of the entry with this payload, added if new; nil when the
    /// segment is full (counted in the header's dropped entries).
    func findOrAdd(payload: [UInt8], kind: Kind, valueCount: Int) -> (index: Int, offset: Int)? {
        guard payload.count <= Self.payloadCapacity else { return nil }
        func find(from start: Int, to end: Int) -> (Int, Int)? {
            for index in start..<end where entryHolds(index, payload) {
                return (index, entryShape(index).offset)
            }
            return nil
        }
        let published = entryCount
        if let found = find(from: 0, to: published) { return found }
        return withLock { () -> (Int, Int)? in
            let now = entryCount
            if let found = find(from: published, to: now) { return found }
            let used = Int(header(.valuesUsed))
            guard now < entries, used + valueCount <= valuesPerSlot else {
                _ = words[Header.droppedEntries.rawValue].add(1, ordering: .relaxed)
                return nil
            }
            let base = entryBase(now)
            words[base].store(UInt64(used), ordering: .relaxed)
            words[base + 1].store(UInt64(valueCount), ordering: .relaxed)
            words[base + 2].store(kind.rawValue, ordering: .relaxed)
            words[base + 3].store(UInt64(payload.count), ordering: .relaxed)
            payload.withUnsafeBytes { bytes in
                if let source = bytes.baseAddress {
                    (UnsafeMutableRawPointer(raw) + 8 * (base + 4)).copyMemory(from: source, byteCount: bytes.count)
                }
            }
            words[Header.valuesUsed.rawValue].store(UInt64(used + valueCount), ordering: .relaxed)
            words[Header.entryCount.rawValue].store(UInt64(now + 1), ordering: .releasing)
            return (now, used)
        }
    }

    // MARK: slots

    func owner(of slot: Int) -> (pid: Int32, start: UInt64) {
        let base = slotBase(slot)
        return (Int32(truncatingIfNeeded: words[base].load(ordering: .acquiring)), words[base + 1].load(ordering: .relaxed))
    }

    /// Claims a free slot (1...slots) for this process; folds dead owners' slots when none
    /// is free. nil when every slot belongs to a live process.
    func claim() -> Int? {
        let me = ProcessIdentity.current()
        for attempt in 0..<2 {
            for slot in 1...slots {
                let base = slotBase(slot)
                let (won, _) = words[base].compareExchange(expected: 0, desired: UInt64(me.pid), ordering: .acquiringAndReleasing)
                if won {
                    words[base + 1].store(me.start, ordering: .releasing)
                    _ = words[Header.claims.rawValue].add(1, ordering: .relaxed)
                    return slot
                }
            }
            if attempt == 0 { reapExited() }
        }
        return nil
    }

    /// Adds an exited owner's counters and histograms to slot 0 and frees the slot; only
    /// while `owner` (a pid) still holds it: another process may have folded it and a new
    /// worker claimed it since the caller looked.
    func fold(_ slot: Int, owner: Int32) {
        withLock {
            let base = slotBase(slot)
            guard owner != 0, words[base].load(ordering: .acquiring) == UInt64(owner) else { return }
            for index in 0..<entryCount {
                let entry = entryShape(index)
                for offset in entry.offset..<(entry.offset + entry.count) {
                    let bits = value(slot: slot, at: offset)
                    if entry.kind != .gauge && bits != 0 {
                        let total = Double(bitPattern: value(slot: 0, at: offset)) + Double(bitPattern: bits)
                        store(slot: 0, at: offset, total.bitPattern)
                    }
                    store(slot: slot, at: offset, 0)
                }
            }
            _ = words[Header.foldedWorkers.rawValue].add(1, ordering: .relaxed)
            words[base + 1].store(0, ordering: .relaxed)
            words[base].store(0, ordering: .releasing)
        }
    }

    /// Folds the slot of every owner that has exited (or is a zombie, or whose pid now
    /// names another process).
    func reapExited() {
        for slot in 1...slots {
            let owner = owner(of: slot)
            if owner.pid != 0 && !ProcessIdentity.isAlive(pid: owner.pid, start: owner.start) { fold(slot, owner: owner.pid) }
        }
    }

    /// Slots owned by processes (live ones: the parent folds the others before it merges).
    var liveSlots: [Int] {
        (1...slots).filter { owner(of: $0).pid != 0 }
    }
}

extension WorkerSegment {
    /// Makes the segment look like a dead run's (for the stale-segment test).
    func forgeOwnerStartForTests(_ start: UInt64) {
        words[Header.ownerStart.rawValue].store(start, ordering: .relaxed)
    }
}
