import Synchronization

/// Maps the opaque pointers handed to C to live objects.
///
/// A handle is (generation << 32 | slot + 1), never dereferenced: a freed, stale or
/// made-up handle is found absent and reported, instead of crashing the host.
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

    func insert(_ object: Object) -> UInt64 {
        storage.withLock { storage in
            if let index = storage.free.popLast() {
                storage.slots[index].object = object
                return Self.encode(index: index, generation: storage.slots[index].generation)
            }
            storage.slots.append(Slot(object: object, generation: 1))
            return Self.encode(index: storage.slots.count - 1, generation: 1)
        }
    }

    func get(_ handle: UInt64) -> Object? {
        guard let (index, generation) = Self.decode(handle) else { return nil }
        return storage.withLock { storage in
            guard index < storage.slots.count, storage.slots[index].generation == generation else { return nil }
            return storage.slots[index].object
        }
    }

    @discardableResult
    func remove(_ handle: UInt64) -> Object? {
        guard let (index, generation) = Self.decode(handle) else { return nil }
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

    private static func encode(index: Int, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(index + 1)
    }

    private static func decode(_ handle: UInt64) -> (Int, UInt32)? {
        let low = handle & 0xFFFF_FFFF
        guard low > 0 else { return nil }
        return (Int(low - 1), UInt32(truncatingIfNeeded: handle >> 32))
    }
}
