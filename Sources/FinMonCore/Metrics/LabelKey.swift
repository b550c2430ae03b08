import Glibc

/// A series' label values as one byte buffer: the UTF-8 of each value in its family's
/// label order, separated by 0xFF.
///
/// It is both what a family's table is keyed by and how a series keeps its values: at most
/// one allocation per series (none up to 16 bytes: `PackedLabels`) instead of an array of
/// Strings (each value of more than 15 bytes being an allocation of its own), and a lookup
/// hashes one buffer in one call. 0xFF never
/// occurs in UTF-8, so no two different sets of values share a key, whatever bytes (NUL
/// included) the values hold.
///
/// Example:
///     let key = LabelKey(["web", "eu"])
///     key.bytes        // [0x77, 0x65, 0x62, 0xFF, 0x65, 0x75]
///     key.values       // ["web", "eu"]
public struct LabelKey: Hashable, Sendable {
    public static let separator: UInt8 = 0xFF

    /// The packed bytes, inline when they fit in 16 (`PackedLabels`).
    let packed: PackedLabels

    /// The packed bytes, copied into an array (`withUnsafeBytes` reads them without a copy).
    public var bytes: [UInt8] { packed.bytes }

    /// Bytes already in the key's form (UTF-8 values separated by `separator`).
    public init(bytes: [UInt8]) {
        packed = PackedLabels(bytes)
    }

    public init(packed: PackedLabels) {
        self.packed = packed
    }

    public init(_ values: [String]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.reduce(values.count) { $0 + $1.utf8.count })
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(Self.separator) }
            bytes.append(contentsOf: value.utf8)
        }
        packed = PackedLabels(bytes)
    }

    /// Calls `body` with the packed bytes, without copying them.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try packed.withUnsafeBytes(body)
    }

    /// The values, decoded (made on demand: the exposition uses the escaped label block).
    /// `count` is the family's label count: a key of one empty value and one of no values
    /// are both empty.
    public func values(count: Int) -> [String] {
        guard count > 0 else { return [] }
        return bytes.split(separator: Self.separator, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// The bytes with NUL separators, the order the exposition sorts series in (a value
    /// sorts before its own extensions, as byte comparison of NUL-joined values does).
    func sortKey() -> [UInt8] {
        bytes.map { $0 == Self.separator ? 0 : $0 }
    }

    // One hasher call and one memcmp instead of Array's per-element hashing and comparing.
    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: LabelKey, rhs: LabelKey) -> Bool {
        lhs.packed.count == rhs.packed.count && lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
            }
        }
    }
}
