/// Tokenising and strict number parsing shared by the /proc readers.
///
/// Strict on purpose: `UInt64.init(_:)` also accepts a leading "+" or "-0",
/// and a value the kernel never writes means we are reading the wrong file.
enum ProcParse {
    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: true)
    }

    static func fields(_ line: Substring) -> [Substring] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" })
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
