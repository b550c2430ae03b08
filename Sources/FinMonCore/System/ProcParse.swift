#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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

    static func multiply(
        _ value: UInt64, by factor: UInt64, field: @autoclosure () -> String, path: String
    ) throws(SystemReadError) -> UInt64 {
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        if overflow {
            throw SystemReadError(
                path: path, reason: .numberOutOfRange("\(field()): \(value) * \(factor) exceeds 64 bits"))
        }
        return product
    }

    /// Error messages quote the offending token; garbage files can hold megabytes
    /// on one line, and a log line should stay a line.
    static func excerpt(_ token: Substring) -> String {
        token.count > 40 ? String(token.prefix(40)) + "..." : String(token)
    }
}

/// The same parsing over a file's bytes in place (the session's reused buffer): no String
/// or array per line. Errors are built only on failure, from the same messages.
extension ProcParse {
    static let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

    /// The end of the line starting at `start` (the index of its newline, or `bytes.count`).
    @inline(__always)
    static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        // memchr: /proc/stat's intr line alone runs to thousands of bytes on a big machine.
        guard start < bytes.count, let base = bytes.baseAddress,
              let found = memchr(base + start, Int32(newline), bytes.count - start) else { return bytes.count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Calls `body` with each space/tab-separated token of `line` and its position; stops
    /// early when `body` returns false. Returns the number of tokens seen.
    @inline(__always)
    @discardableResult
    static func forEachToken(
        _ bytes: UnsafeBufferPointer<UInt8>, in line: Range<Int>,
        _ body: (Int, Range<Int>) throws(SystemReadError) -> Bool
    ) throws(SystemReadError) -> Int {
        var index = line.lowerBound
        var number = 0
        while index < line.upperBound {
            let byte = bytes[index]
            if byte == space || byte == tab {
                index += 1
                continue
            }
            let start = index
            while index < line.upperBound, bytes[index] != space, bytes[index] != tab { index += 1 }
            let token = start..<index
            number += 1
            guard try body(number - 1, token) else { return number }
        }
        return number
    }

    /// Whether `bytes[range]` equals `text`.
    @inline(__always)
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ text: StaticString) -> Bool {
        text.withUTF8Buffer { expected in
            guard expected.count == range.count else { return false }
            for offset in 0..<expected.count where bytes[range.lowerBound + offset] != expected[offset] { return false }
            return true
        }
    }

    /// Whether `bytes[range]` starts with `prefix`.
    @inline(__always)
    static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { expected in
            guard expected.count <= range.count else { return false }
            for offset in 0..<expected.count where bytes[range.lowerBound + offset] != expected[offset] { return false }
            return true
        }
    }

    static func substring(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Substring {
        Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
    }

    /// `uint64(_:field:path:)` over bytes in place; on any fault the text form names it.
    @inline(__always)
    static func uint64(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, field: @autoclosure () -> String, path: String
    ) throws(SystemReadError) -> UInt64 {
        if !range.isEmpty && range.count <= 19 {
            // Up to 19 digits cannot overflow 64 bits.
            var value: UInt64 = 0
            var index = range.lowerBound
            while index < range.upperBound {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                value = value &* 10 &+ UInt64(digit)
                index += 1
            }
            if index == range.upperBound { return value }
        }
        return try uint64(substring(bytes, range), field: field(), path: path)
    }
}

extension ProcParse {
    /// A String's UTF-8 bytes for the in-place parsers (tests and one-off reads pass text).
    static func withBytes<T>(
        _ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws(SystemReadError) -> T
    ) throws(SystemReadError) -> T {
        var text = text
        // withUTF8 rethrows untyped; carry the typed error out by hand.
        var failure: SystemReadError?
        let result: T? = text.withUTF8 { bytes in
            do throws(SystemReadError) {
                return try body(bytes)
            } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        return result!
    }
}
