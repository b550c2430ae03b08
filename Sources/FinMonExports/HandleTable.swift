import Synchronization

/// The kinds of object the header hands out, encoded in every handle so that a handle
/// of one kind passed where another is expected is refused (FINMON_E_INVALID_HANDLE)
/// instead of finding whatever object of the other kind sits at the same slot.
enum HandleKind: UInt64, CaseIterable, Sendable {
    case collector = 1, metric = 2, series = 3, runtime = 4

    /// The C type's name, for messages.
    var typeName: String {
        switch self {
        case .collector: "finmon_collector"
        case .metric: "finmon_metric"
        case .series: "finmon_series"
        case .runtime: "finmon_runtime"
        }
    }

    /// The kind a handle claims to be, if its kind bits name one.
    init?(of handle: UInt64) {
        self.init(rawValue: (handle >> HandleLayout.kindShift) & HandleLayout.kindMask)
    }
}

/// Where the parts of a handle sit: generation << 32 | kind << 28 | (slot + 1).
enum HandleLayout {
    static let kindShift: UInt64 = 28
    static let kindMask: UInt64 = 0xF
    static let slotMask: UInt64 = (1 << 28) - 1
}

/// Maps the opaque pointers handed to C to live objects of one kind.
///
/// A handle is (generation << 32 | kind << 28 | slot + 1), never dereferenced: a freed,
/// stale, made-up or other-kind handle is found absent and reported, instead of crashing
/// the host or reaching the wrong object.
final class HandleTable<Object: AnyObject & Sendable>: Sendable {
    private struct Slot {
        var object: Object?
        var generation: UInt32
    }
    private struct Storage {
        var slots: [Slot] = []
        var free: [Int] = []
    }
    private let storage = Mutex(Storage())
    let kind: HandleKind

    init(kind: HandleKind) {
        self.kind = kind
    }

    /// The new handle; nil once 2^28 - 1 objects of this kind are alive at once.
    func insert(_ object: Object) -> UInt64? {
        storage.withLock { storage in
            if let index = storage.free.popLast() {
                storage.slots[index].object = object
                return encode(index: index, generation: storage.slots[index].generation)
            }
            guard UInt64(storage.slots.count) < HandleLayout.slotMask else { return nil }
            storage.slots.append(Slot(object: object, generation: 1))
            return encode(index: storage.slots.count - 1, generation: 1)
        }
    }

    func get(_ handle: UInt64) -> Object? {
        guard let (index, generation) = decode(handle) else { return nil }
        return storage.withLock { storage in
            guard index < storage.slots.count, storage.slots[index].generation == generation else { return nil }
            return storage.slots[index].object
        }
    }

    /// Runs `body` under the table's lock once, with a lookup that takes no lock of its own:
    /// a batch resolves all its entries in one locked section. The objects come unretained:
    /// the table keeps each alive while its lock is held, so a batch pays no retain and
    /// release per entry. `body` must not call into the table (its lock is held) nor keep
    /// an object past its return without retaining it (`takeUnretainedValue()`).
    func withLockedLookup<Result: Sendable>(_ body: ((UInt64) -> Unmanaged<Object>?) -> Result) -> Result {
        storage.withLock { storage in
            body { handle in
                guard let (index, generation) = decode(handle), index < storage.slots.count,
                      storage.slots[index].generation == generation,
                      let object = storage.slots[index].object else { return nil }
                return Unmanaged.passUnretained(object)
            }
        }
    }

    @discardableResult
    func remove(_ handle: UInt64) -> Object? {
        guard let (index, generation) = decode(handle) else { return nil }
        return storage.withLock { storage in
            guard index < storage.slots.count, storage.slots[index].generation == generation,
                  let object = storage.slots[index].object else { return nil }
            storage.slots[index].object = nil
            // Generations wrap after 2^31 reuses of one slot; 0 is never issued.
            storage.slots[index].generation = storage.slots[index].generation & 0x7FFF_FFFF &+ 1
            storage.free.append(index)
            return object
        }
    }

    func all() -> [Object] {
        storage.withLock { $0.slots.compactMap(\.object) }
    }

    var count: Int { storage.withLock { $0.slots.count - $0.free.count } }

    private func encode(index: Int, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | kind.rawValue << HandleLayout.kindShift | UInt64(index + 1)
    }

    private func decode(_ handle: UInt64) -> (Int, UInt32)? {
        let slot = handle & HandleLayout.slotMask
        guard slot > 0, HandleKind(of: handle) == kind else { return nil }
        return (Int(slot - 1), UInt32(truncatingIfNeeded: handle >> 32))
    }
}
