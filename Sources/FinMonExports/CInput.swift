import CFinMon
import Glibc
import FinMonCore

/// Reading what C callers pass: strings must be NUL-terminated UTF-8, arrays non-NULL
/// when their count is not zero. Each failure names the argument.
enum CInput {
    /// `what` is made only for an error: label values arrive on every labels() and remove().
    static func string(_ pointer: UnsafePointer<CChar>?, _ what: @autoclosure () -> String) throws -> String {
        guard let pointer else { throw ABIError.null(what()) }
        guard let text = String(validatingCString: pointer) else {
            throw ABIError(code: FINMON_E_INVALID_UTF8, message: "\(what()) is not valid UTF-8")
        }
        return text
    }

    static func optionalString(_ pointer: UnsafePointer<CChar>?, _ what: String) throws -> String? {
        guard pointer != nil else { return nil }
        return try string(pointer, what)
    }

    static func strings(_ pointer: UnsafePointer<UnsafePointer<CChar>?>?, count: Int, _ what: String) throws -> [String] {
        guard count >= 0, count <= 64 else { throw ABIError.argument("\(what): \(unsigned(count)) entries; at most 64") }
        guard count > 0 else { return [] }
        guard let pointer else { throw ABIError.null(what) }
        return try (0..<count).map { try string(pointer[$0], "\(what)[\($0)]") }
    }

    static func doubles(_ pointer: UnsafePointer<Double>?, count: Int, _ what: String) throws -> [Double] {
        guard count >= 0, count <= 1_000_000 else {
            throw ABIError.argument("\(what): count \(unsigned(count)) out of range (at most 1000000)")
        }
        guard count > 0 else { return [] }
        guard let pointer else { throw ABIError.null(what) }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    static func count(_ value: Int, _ what: String, max: Int = 1_000_000) throws -> Int {
        guard value >= 0, value <= max else { throw ABIError.argument("\(what) must be in 0...\(max), got \(unsigned(value))") }
        return value
    }

    /// A C size_t count arrives as Int; one past Int.max would print negative, so messages
    /// show the value the caller passed.
    static func unsigned(_ value: Int) -> UInt { UInt(bitPattern: value) }

    /// Hands `text` to the caller through `out` (freed with finmon_string_free); FINMON_OK.
    static func give(_ text: String, to out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> finmon_status {
        guard let owned = ownedCString(text) else { throw ABIError(code: FINMON_E_INTERNAL, message: "out of memory") }
        out.pointee = owned
        return FINMON_OK
    }

    /// A C string handed to the caller, who frees it with finmon_string_free.
    static func ownedCString(_ text: String) -> UnsafeMutablePointer<CChar>? {
        text.withCString { strdup($0) }
    }

    static func ownedCString(bytes: [UInt8]) -> UnsafeMutablePointer<CChar>? {
        // malloc, not Swift's allocator: finmon_string_free releases both kinds with free().
        guard let raw = malloc(bytes.count + 1) else { return nil }
        let buffer = raw.bindMemory(to: CChar.self, capacity: bytes.count + 1)
        bytes.withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { chars in
                if let base = chars.baseAddress { buffer.initialize(from: base, count: bytes.count) }
            }
        }
        (buffer + bytes.count).initialize(to: 0)
        return buffer
    }
}

extension CInput {
    /// Packed label values (finmon_metric_labels_packed) as the family's key: NULs become
    /// the key's separator in the one copy made, each value is checked as
    /// `MetricFamily.labels(_:)` checks it, and a count of values other than the family's
    /// is the error finmon_metric_labels gives.
    static func labelKey(_ values: UnsafePointer<CChar>?, _ length: Int, of family: MetricFamily) throws -> LabelKey {
        let expected = family.labelNames.count
        guard length >= 0, length <= 64 * (MetricName.maxTextBytes + 1) else {
            throw ABIError.argument("length: \(unsigned(length)) bytes; at most \(64 * (MetricName.maxTextBytes + 1))")
        }
        if length == 0 {
            guard expected <= 1 else { throw MetricsError.labelMismatch(metric: family.name, expected: family.labelNames, got: ["1 values"]) }
            return LabelKey(bytes: [])
        }
        guard let values else { throw ABIError.null("values") }
        let raw = UnsafeRawBufferPointer(start: values, count: length)
        // Packed straight into the key's storage: a short key (most) inline, no malloc.
        var scan = Scan(count: 0, longest: 0, ascii: true)
        let packed = PackedLabels(count: length) { scan = pack(raw, into: $0) }
        let (count, longest, ascii) = (scan.count, scan.longest, scan.ascii)
        guard count == expected else {
            throw MetricsError.labelMismatch(metric: family.name, expected: family.labelNames, got: ["\(count) values"])
        }
        if longest > MetricName.maxTextBytes {
            throw MetricsError.textTooLong(what: "a label value of '\(family.name)'", bytes: longest, limit: MetricName.maxTextBytes)
        }
        // NUL never sits inside a multi-byte character, so the whole buffer checks every value.
        if !ascii, String(validating: raw, as: UTF8.self) == nil {
            let index = raw.split(separator: 0, omittingEmptySubsequences: false)
                .firstIndex { String(validating: $0, as: UTF8.self) == nil } ?? 0
            throw ABIError(code: FINMON_E_INVALID_UTF8, message: "label value \(index) is not valid UTF-8")
        }
        return LabelKey(packed: packed)
    }

    /// What `pack` saw: the number of values, the longest one's bytes, whether all are ASCII.
    private struct Scan {
        var count: Int
        var longest: Int
        var ascii: Bool
    }

    /// Copies NUL-separated values into `buffer` (as long as `raw`) with the key's separator.
    private static func pack(_ raw: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer) -> Scan {
        var scan = Scan(count: 1, longest: 0, ascii: true)
        var start = 0
        for (i, byte) in raw.enumerated() {
            if byte == 0 {
                scan.count += 1
                scan.longest = max(scan.longest, i - start)
                start = i + 1
                buffer[i] = LabelKey.separator
            } else {
                if byte >= 0x80 { scan.ascii = false }
                buffer[i] = byte
            }
        }
        scan.longest = max(scan.longest, raw.count - start)
        return scan
    }
}
