/// Thrown by `RingBuffer.init(capacity:)`.
public enum RingBufferError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The capacity was below 1; a ring that can hold nothing would drop every value silently.
    case invalidCapacity(Int)

    public var description: String {
        switch self {
        case .invalidCapacity(let capacity):
            return "ring buffer capacity must be at least 1, got \(capacity)"
        }
    }
}

/// A fixed-capacity history that keeps the newest `capacity` elements.
///
/// Monitors keep bounded histories (diversity values, recent outcomes) for a loop that may
/// run for millions of iterations, so memory must not grow with the run: once full, each
/// `append` overwrites the oldest element in O(1). Iteration runs oldest -> newest.
///
/// Storage grows lazily up to `capacity` (no up-front allocation of the whole ring), so a
/// large configured capacity costs nothing until it is used.
///
/// Positional access is by optional-returning accessors rather than a trapping subscript,
/// because offsets often come from external data (window sizes from the config, counts
/// from the C ABI).
public struct RingBuffer<Element> {
    /// The most elements kept; always >= 1.
    public let capacity: Int

    private var storage: [Element] = []
    /// Index in `storage` of the oldest element. Stays 0 until the ring is full, because
    /// until then `storage` is appended to in order.
    private var head: Int = 0

    /// - Throws: `RingBufferError.invalidCapacity` if `capacity < 1`.
    public init(capacity: Int) throws(RingBufferError) {
        guard capacity >= 1 else { throw .invalidCapacity(capacity) }
        self.capacity = capacity
        // Bounded so a huge configured capacity does not reserve a huge block up front.
        storage.reserveCapacity(Swift.min(capacity, 1024))
    }

    /// The number of elements held, at most `capacity`.
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    public var isFull: Bool { storage.count == capacity }

    /// Appends `element`; when the ring is full, the oldest element is overwritten and
    /// returned, so callers keeping running aggregates (e.g. a success count over the
    /// window) can subtract what left the window in O(1).
    @discardableResult
    public mutating func append(_ element: Element) -> Element? {
        guard storage.count == capacity else {
            storage.append(element)
            return nil
        }
        let evicted = storage[head]
        storage[head] = element
        head = head == capacity - 1 ? 0 : head + 1
        return evicted
    }

    /// The element `offset` positions after the oldest (0 = oldest), or nil if out of range.
    public func element(at offset: Int) -> Element? {
        guard offset >= 0, offset < storage.count else { return nil }
        // Split instead of `(head + offset) % count` so the sum can never overflow.
        let untilWrap = storage.count - head
        return offset < untilWrap ? storage[head + offset] : storage[offset - untilWrap]
    }

    /// The element `offset` positions before the newest (0 = newest), or nil if out of range.
    public func element(fromNewest offset: Int) -> Element? {
        guard offset >= 0, offset < storage.count else { return nil }
        return element(at: storage.count - 1 - offset)
    }

    public var oldest: Element? { element(at: 0) }
    public var newest: Element? { element(fromNewest: 0) }

    /// The newest `min(n, count)` elements, oldest -> newest; empty for `n <= 0`. O(n).
    public func last(_ n: Int) -> [Element] {
        let taken = Swift.max(0, Swift.min(n, storage.count))
        var result: [Element] = []
        result.reserveCapacity(taken)
        var offset = storage.count - taken
        while offset < storage.count {
            if let element = element(at: offset) { result.append(element) }
            offset += 1
        }
        return result
    }

    /// Drops every element; the capacity is unchanged.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
    }
}

extension RingBuffer: Sequence {
    /// Walks oldest -> newest over a copy of the ring taken when iteration starts
    /// (copy-on-write makes that copy free unless the ring is mutated meanwhile).
    public struct Iterator: IteratorProtocol {
        private let ring: RingBuffer
        private var offset = 0

        fileprivate init(ring: RingBuffer) { self.ring = ring }

        public mutating func next() -> Element? {
            guard let element = ring.element(at: offset) else { return nil }
            offset += 1
            return element
        }
    }

    public func makeIterator() -> Iterator { Iterator(ring: self) }
    public var underestimatedCount: Int { storage.count }
}

extension RingBuffer: Sendable where Element: Sendable {}
extension RingBuffer.Iterator: Sendable where Element: Sendable {}

/// Equal when the capacities match and the held elements match oldest -> newest, whatever
/// the physical rotation of the storage.
extension RingBuffer: Equatable where Element: Equatable {
    public static func == (lhs: RingBuffer, rhs: RingBuffer) -> Bool {
        lhs.capacity == rhs.capacity && lhs.elementsEqual(rhs)
    }
}
