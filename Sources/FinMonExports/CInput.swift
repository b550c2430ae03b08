import CFinMon
import Glibc

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
