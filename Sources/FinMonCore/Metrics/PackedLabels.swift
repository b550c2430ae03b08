/// Label values in `LabelKey`'s packed form, held inline when they fit in 16 bytes, in an
/// array otherwise: a `LabelKey`'s storage, and so a series' own copy of its values.
///
/// Why: most keys are short (a 12-character container id, a worker number, a strategy
/// family), and an array for them is a 64-byte malloc chunk of its own next to the
/// series' 96-byte one, and a malloc and a free for every lookup from the C ABI. Inline,
/// the series object stays in its 96-byte chunk (the enum takes 18 bytes where the array
/// reference took 8, inside the chunk's slack), so 10,000 such series keep ~0.6 MiB less
/// resident (issue #16).
///
/// Example:
///     let short = PackedLabels(LabelKey(["0123456789ab"]).bytes)   // inline
///     short.count                                                   // 12
///     short.withUnsafeBytes { Array($0) } == LabelKey(["0123456789ab"]).bytes   // true
public struct PackedLabels: Sendable {
    /// The most bytes kept inline.
    public static let inlineCapacity = 16

    private enum Storage: Sendable {
        case inline(UInt64, UInt64, count: UInt8)
        case array([UInt8])
    }

    private let storage: Storage

    /// Adopts `bytes` when they are too long to keep inline (no copy), copies them otherwise.
    public init(_ bytes: [UInt8]) {
        guard bytes.count <= Self.inlineCapacity else {
            self.init(storage: .array(bytes))
            return
        }
        self.init(count: bytes.count) { destination in bytes.withUnsafeBytes { destination.copyMemory(from: $0) } }
    }

    private init(storage: Storage) {
        self.storage = storage
    }

    /// A copy of `bytes` (inline when they fit: no allocation).
    public init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { $0.copyMemory(from: bytes) }
    }

    /// `count` bytes, all written by `initialize` straight into their storage: inline when
    /// they fit (no allocation), else a new array.
    public init(count: Int, initializingWith initialize: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        guard count <= Self.inlineCapacity else {
            storage = .array(try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                try initialize(UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            })
            return
        }
        var words: (UInt64, UInt64) = (0, 0)
        try Swift.withUnsafeMutableBytes(of: &words) { try initialize(UnsafeMutableRawBufferPointer(rebasing: $0.prefix(count))) }
        storage = .inline(words.0, words.1, count: UInt8(count))
    }

    public var count: Int {
        switch storage {
        case .inline(_, _, let count): Int(count)
        case .array(let bytes): bytes.count
        }
    }

    /// Whether the bytes are held inside the owner (no allocation of their own).
    public var isInline: Bool {
        if case .inline = storage { return true }
        return false
    }

    /// Calls `body` with the packed bytes, without copying them.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch storage {
        case .inline(let first, let second, let count):
            return try Swift.withUnsafeBytes(of: (first, second)) { words in
                try body(UnsafeRawBufferPointer(rebasing: words.prefix(Int(count))))
            }
        case .array(let bytes):
            return try bytes.withUnsafeBytes(body)
        }
    }

    /// The packed bytes, copied into an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Whether any byte satisfies `predicate`.
    public func contains(where predicate: (UInt8) -> Bool) -> Bool {
        withUnsafeBytes { $0.contains(where: predicate) }
    }
}
