/// The /proc/meminfo lines `MemInfo` is computed from, found in one pass over the file's
/// bytes in place: no String per line and no dictionary (a tick's largest user-space cost
/// was building one). Lookups by the file's key names, as `MemInfo.make` reads them.
///
///     var figures = MemInfoFigures()
///     try MemInfoFigures.scan(bytes, path: "/proc/meminfo") { key, value in figures.record(bytes, key, value) }
///     figures["MemTotal"]  // bytes, or nil when the line is absent
struct MemInfoFigures: Sendable, Equatable {
    /// The keys kept, in slot order.
    static let names: [String] = [
        "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SReclaimable", "Shmem", "MemShared",
        "Active", "Inactive", "Inact_dirty", "Inact_clean", "Inact_laundry", "Slab", "Active(file)", "Inactive(file)",
    ]

    private var values = InlineArray<16, UInt64>(repeating: 0)
    private var present: UInt32 = 0

    init() {}

    init(_ fields: [String: UInt64]) {
        for (slot, name) in Self.names.enumerated() {
            if let value = fields[name] { set(slot, value) }
        }
    }

    subscript(name: String) -> UInt64? {
        guard let slot = Self.names.firstIndex(of: name), present & (1 << slot) != 0 else { return nil }
        return values[slot]
    }

    static func == (lhs: MemInfoFigures, rhs: MemInfoFigures) -> Bool {
        guard lhs.present == rhs.present else { return false }
        for slot in 0..<names.count where lhs.present & (1 << slot) != 0 && lhs.values[slot] != rhs.values[slot] {
            return false
        }
        return true
    }

    private mutating func set(_ slot: Int, _ value: UInt64) {
        values[slot] = value
        present |= 1 << slot
    }

    /// Keeps `value` if `bytes[key]` names one of the kept lines (a later duplicate wins,
    /// as it would in a dictionary).
    mutating func record(_ bytes: UnsafeBufferPointer<UInt8>, _ key: Range<Int>, _ value: UInt64) {
        guard !key.isEmpty else { return }
        func named(_ name: StaticString) -> Bool { ProcParse.equals(bytes, key, name) }
        let slot: Int
        switch bytes[key.lowerBound] {
        case UInt8(ascii: "M"):
            if named("MemTotal") { slot = 0 } else if named("MemFree") { slot = 1 }
            else if named("MemAvailable") { slot = 2 } else if named("MemShared") { slot = 7 } else { return }
        case UInt8(ascii: "B"):
            guard named("Buffers") else { return }
            slot = 3
        case UInt8(ascii: "C"):
            guard named("Cached") else { return }
            slot = 4
        case UInt8(ascii: "S"):
            if named("SReclaimable") { slot = 5 } else if named("Shmem") { slot = 6 } else if named("Slab") { slot = 13 }
            else { return }
        case UInt8(ascii: "A"):
            if named("Active") { slot = 8 } else if named("Active(file)") { slot = 14 } else { return }
        case UInt8(ascii: "I"):
            if named("Inactive") { slot = 9 } else if named("Inactive(file)") { slot = 15 }
            else if named("Inact_dirty") { slot = 10 } else if named("Inact_clean") { slot = 11 }
            else if named("Inact_laundry") { slot = 12 } else { return }
        default:
            return
        }
        set(slot, value)
    }

    /// A key as a dictionary key of `MemInfo.fields`.
    static func name(_ bytes: UnsafeBufferPointer<UInt8>, _ key: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[key]), as: UTF8.self)
    }

    /// The one parser of /proc/meminfo: each non-blank line must be "Key: value [kB]";
    /// calls `visit` with the key's bytes (without the colon) and the value, "kB" converted
    /// to bytes. Lines are runs between newlines, tokens runs between spaces and tabs. The
    /// first fault throws: a line that is not "Key: value" (malformed, quoting the line),
    /// a value that is not an unsigned integer (malformed) or exceeds 64 bits, alone or in
    /// bytes (numberOutOfRange), named by its key.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, _ visit: (Range<Int>, UInt64) -> Void
    ) throws(SystemReadError) {
        let newline = ProcParse.newline, space = ProcParse.space, tab = ProcParse.tab
        let count = bytes.count
        var index = 0
        // One loop per line with the token scans written out: the closure-per-token form was
        // a third of a tick's user-space instructions.
        while index < count {
            let lineStart = index
            while index < count && (bytes[index] == space || bytes[index] == tab) { index += 1 }
            if index == count || bytes[index] == newline {
                index += 1
                continue
            }
            let keyStart = index
            while index < count && bytes[index] != space && bytes[index] != tab && bytes[index] != newline { index += 1 }
            let keyEnd = index
            while index < count && (bytes[index] == space || bytes[index] == tab) { index += 1 }
            guard index < count && bytes[index] != newline && bytes[keyEnd - 1] == UInt8(ascii: ":") else {
                let line = lineStart..<ProcParse.lineEnd(bytes, from: lineStart)
                throw SystemReadError(
                    path: path,
                    reason: .malformed("line '\(ProcParse.excerpt(ProcParse.substring(bytes, line)))' is not 'Key: value [kB]'"))
            }
            let name = keyStart..<(keyEnd - 1)
            let valueStart = index
            var number: UInt64 = 0
            var digits = true
            while index < count && bytes[index] != space && bytes[index] != tab && bytes[index] != newline {
                let digit = bytes[index] &- UInt8(ascii: "0")
                if digit > 9 { digits = false }
                number = number &* 10 &+ UInt64(digit)
                index += 1
            }
            if !digits || index - valueStart > 19 {
                // Not digits, or possibly past 64 bits: the checked parse names the fault or
                // returns the exact value.
                number = try ProcParse.uint64(ProcParse.substring(bytes, valueStart..<index), field: Self.name(bytes, name), path: path)
            }
            while index < count && (bytes[index] == space || bytes[index] == tab) { index += 1 }
            if index + 1 < count && bytes[index] == UInt8(ascii: "k") && bytes[index + 1] == UInt8(ascii: "B")
                && (index + 2 == count || bytes[index + 2] == space || bytes[index + 2] == tab || bytes[index + 2] == newline) {
                number = try ProcParse.multiply(number, by: 1024, field: Self.name(bytes, name), path: path)
            }
            while index < count && bytes[index] != newline { index += 1 }
            index += 1
            visit(name, number)
        }
    }
}
