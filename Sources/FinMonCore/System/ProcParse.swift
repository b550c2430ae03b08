/// Tokenising and strict number parsing shared by the /proc readers.
///
/// Strict on purpose: `UInt64.init(_:)` also accepts a leading "+" or "-0",
/// and a value the kernel never writes means we are reading the wrong file.
///
/// Splitting works on UTF-8 bytes, not Characters: the separators are ASCII, and
/// grapheme breaking made Character-wise splitting most of a sampling tick's cost.
enum ProcParse {
    static func lines(_ text: String) -> [Substring] {
        split(Substring(text)) { $0 == UInt8(ascii: "\n") }
    }

    static func fields(_ line: Substring) -> [Substring] {
        split(line) { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    /// Non-empty runs between separator bytes. Scans the contiguous UTF-8 storage with a
    /// pointer (native strings always have it); the generic Collection.split walks
    /// String indices one by one, several times slower.
    @inline(__always)
    private static func split(_ text: Substring, isSeparator: (UInt8) -> Bool) -> [Substring] {
        let utf8 = text.utf8
        let offsets = utf8.withContiguousStorageIfAvailable { bytes -> [Range<Int>] in
            var ranges: [Range<Int>] = []
            var start = 0
            for index in 0..<bytes.count where isSeparator(bytes[index]) {
                if index > start { ranges.append(start..<index) }
                start = index + 1
            }
            if bytes.count > start { ranges.append(start..<bytes.count) }
            return ranges
        }
        guard let offsets else {
            return utf8.split(whereSeparator: isSeparator).map { Substring($0) }
        }
        let base = utf8.startIndex
        return offsets.map { range in
            // O(1) offsets on native UTF-8; separators are ASCII, so every cut is a scalar boundary.
            let lower = utf8.index(base, offsetBy: range.lowerBound)
            let upper = utf8.index(lower, offsetBy: range.count)
            return Substring(utf8[lower..<upper])
        }
    }

    /// A byte-wise prefix test, to skip lines before splitting them into fields.
    static func hasPrefix(_ line: Substring, _ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { line.utf8.starts(with: $0) }
    }

    static func uint64(_ token: Substring, field: String, path: String) throws(SystemReadError) -> UInt64 {
        guard !token.isEmpty else {
            throw SystemReadError(path: path, reason: .malformed("\(field): empty value"))
        }
        var value: UInt64 = 0
        for byte in token.utf8 {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else {
                throw SystemReadError(
                    path: path, reason: .malformed("\(field): '\(excerpt(token))' is not an unsigned integer"))
            }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflowA || overflowB {
                throw SystemReadError(
                    path: path, reason: .numberOutOfRange("\(field): '\(excerpt(token))' exceeds 64 bits"))
            }
            value = sum
        }
        return value
    }

    static func multiply(_ value: UInt64, by factor: UInt64, field: String, path: String) throws(SystemReadError) -> UInt64 {
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        if overflow {
            throw SystemReadError(
                path: path, reason: .numberOutOfRange("\(field): \(value) * \(factor) exceeds 64 bits"))
        }
        return product
    }

    /// Error messages quote the offending token; garbage files can hold megabytes
    /// on one line, and a log line should stay a line.
    static func excerpt(_ token: Substring) -> String {
        token.count > 40 ? String(token.prefix(40)) + "..." : String(token)
    }
}
