/// A strict RFC 8259 JSON parser producing `JSONValue`, so reading an engine's reply
/// needs no Foundation (whose static link drags a linker warning into every build).
///
/// Strict means: no comments, trailing commas, single quotes, NaN/Infinity, leading
/// zeros or byte-order mark; strings must be well-formed UTF-8 with valid escapes and
/// paired surrogates. Every failure is a thrown `JSONParseError`; no input traps.
///
/// Integers stay exact where they fit: `.int` for Int64's range, `.uint` above it up to
/// UInt64.max (the Docker Engine's nanosecond counters pass 2^53, where a Double would
/// round them); anything else becomes `.number`. An object keeps its members in order,
/// duplicates included (lookups take the last, as Go and JavaScript do).
struct JSONParser {
    /// Far beyond any engine reply (Docker's stats nest 4 levels) yet shallow enough that
    /// the recursive descent cannot exhaust a thread's stack.
    static let defaultMaxDepth = 64
    /// The HTTP client's body cap: a document that size is still parsed.
    static let defaultMaxBytes = HTTPClient.defaultMaxBodyBytes

    private let bytes: [UInt8]
    private let maxDepth: Int
    private var index = 0

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
    static func parse(
        _ bytes: [UInt8], maxDepth: Int = defaultMaxDepth, maxBytes: Int = defaultMaxBytes
    ) throws(JSONParseError) -> JSONValue {
        guard bytes.count <= maxBytes else { throw .tooLarge(size: bytes.count, limit: max(0, maxBytes)) }
        var parser = JSONParser(bytes: bytes, maxDepth: max(1, maxDepth))
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if let byte = parser.peek() {
            throw .unexpectedByte(byte, offset: parser.index, expected: "the end of the document")
        }
        return value
    }

    static func parse(
        _ text: String, maxDepth: Int = defaultMaxDepth, maxBytes: Int = defaultMaxBytes
    ) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth, maxBytes: maxBytes)
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard let byte = peek() else { throw .unexpectedEnd(expected: "a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw .unexpectedByte(byte, offset: index, expected: "a value")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw .tooDeep(limit: maxDepth, offset: index) }
        index += 1  // {
        var members: [JSONValue.Member] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard let byte = peek() else { throw .unexpectedEnd(expected: "a member name") }
            guard byte == UInt8(ascii: "\"") else {
                throw .unexpectedByte(byte, offset: index, expected: "a member name in double quotes")
            }
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after a member name")
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append(JSONValue.Member(key: key, value: value))
            skipWhitespace()
            guard let next = peek() else { throw .unexpectedEnd(expected: "',' or '}'") }
            index += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else {
                throw .unexpectedByte(next, offset: index - 1, expected: "',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw .tooDeep(limit: maxDepth, offset: index) }
        index += 1  // [
        var items: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard let next = peek() else { throw .unexpectedEnd(expected: "',' or ']'") }
            index += 1
            if next == UInt8(ascii: "]") { return .array(items) }
            guard next == UInt8(ascii: ",") else {
                throw .unexpectedByte(next, offset: index - 1, expected: "',' or ']'")
            }
        }
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        guard let first = peek() else { throw .unexpectedEnd(expected: "a digit") }
        guard Self.isDigit(first) else {
            throw .invalidNumber(offset: start, reason: "expected a digit after '-'")
        }
        // The magnitude of an integer, exact while it fits 64 bits unsigned.
        var magnitude: UInt64? = 0
        if first == UInt8(ascii: "0") {
            index += 1
            if let next = peek(), Self.isDigit(next) {
                throw .invalidNumber(offset: start, reason: "leading zeros are not allowed")
            }
        } else {
            while let digit = peek(), Self.isDigit(digit) {
                index += 1
                if let current = magnitude {
                    let (times10, overflow1) = current.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit &- UInt8(ascii: "0")))
                    magnitude = overflow1 || overflow2 ? nil : sum
                }
            }
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try digits(start: start, what: "a digit after the decimal point")
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            try digits(start: start, what: "a digit in the exponent")
        }
        if isInteger, let magnitude {
            if negative {
                if magnitude <= UInt64(Int64.max), let value = Int(exactly: -Int64(magnitude)) { return .int(value) }
                if magnitude == UInt64(Int64.max) + 1, let value = Int(exactly: Int64.min) { return .int(value) }
            } else {
                if let value = Int(exactly: magnitude) { return .int(value) }
                return .uint(magnitude)
            }
        }
        // Validated above, so only Double's own range can fail.
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw .numberOutOfRange(offset: start) }
        return .number(value)
    }

    private mutating func digits(start: Int, what: String) throws(JSONParseError) {
        guard let first = peek() else { throw .unexpectedEnd(expected: what) }
        guard Self.isDigit(first) else { throw .invalidNumber(offset: start, reason: "expected \(what)") }
        while let digit = peek(), Self.isDigit(digit) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    // MARK: Strings

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        var decoded: [UInt8] = []
        var runStart = index
        while true {
            guard let byte = peek() else { throw .unexpectedEnd(expected: "the closing '\"' of a string") }
            switch byte {
            case UInt8(ascii: "\""):
                decoded.append(contentsOf: bytes[runStart..<index])
                index += 1
                // Every byte was checked to be well-formed UTF-8, so decoding repairs nothing.
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                decoded.append(contentsOf: bytes[runStart..<index])
                try parseEscape(into: &decoded)
                runStart = index
            case 0..<0x20:
                throw .controlCharacter(offset: index)
            case 0x20..<0x80:
                index += 1
            default:
                try skipUTF8Sequence()
            }
        }
    }

    private mutating func parseEscape(into decoded: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = index
        index += 1  // backslash
        guard let byte = peek() else { throw .unexpectedEnd(expected: "an escape character") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(byte)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hex4(escapeStart: escapeStart)
            let scalarValue: UInt32
            switch unit {
            case 0xD800...0xDBFF:
                guard peek() == UInt8(ascii: "\\"), peek(at: index + 1) == UInt8(ascii: "u") else {
                    throw .invalidUnicodeEscape(offset: escapeStart, reason: "a high surrogate without its low surrogate")
                }
                let lowStart = index
                index += 2
                let low = try hex4(escapeStart: lowStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw .invalidUnicodeEscape(offset: lowStart, reason: "a high surrogate without its low surrogate")
                }
                scalarValue = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            case 0xDC00...0xDFFF:
                throw .invalidUnicodeEscape(offset: escapeStart, reason: "a low surrogate without its high surrogate")
            default:
                scalarValue = unit
            }
            guard let scalar = Unicode.Scalar(scalarValue) else {
                throw .invalidUnicodeEscape(offset: escapeStart, reason: "not a Unicode scalar")
            }
            UTF8.encode(scalar) { decoded.append($0) }
        default:
            throw .invalidEscape(offset: escapeStart)
        }
    }

    private mutating func hex4(escapeStart: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw .unexpectedEnd(expected: "four hex digits after \\u") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: throw .invalidUnicodeEscape(offset: escapeStart, reason: "expected four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Steps over one well-formed multi-byte UTF-8 sequence (Unicode 15, table 3-7):
    /// no overlong forms, no surrogates, nothing above U+10FFFF.
    private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let start = index
        guard let lead = peek() else { throw .invalidUTF8(offset: start) }
        let secondRange: ClosedRange<UInt8>
        let continuations: Int
        switch lead {
        case 0xC2...0xDF: secondRange = 0x80...0xBF; continuations = 1
        case 0xE0: secondRange = 0xA0...0xBF; continuations = 2
        case 0xE1...0xEC, 0xEE...0xEF: secondRange = 0x80...0xBF; continuations = 2
        case 0xED: secondRange = 0x80...0x9F; continuations = 2
        case 0xF0: secondRange = 0x90...0xBF; continuations = 3
        case 0xF1...0xF3: secondRange = 0x80...0xBF; continuations = 3
        case 0xF4: secondRange = 0x80...0x8F; continuations = 3
        default: throw .invalidUTF8(offset: start)
        }
        guard let second = peek(at: start + 1), secondRange.contains(second) else { throw .invalidUTF8(offset: start) }
        var offset = 2
        while offset <= continuations {
            guard let next = peek(at: start + offset), (0x80...0xBF).contains(next) else {
                throw .invalidUTF8(offset: start)
            }
            offset += 1
        }
        index = start + 1 + continuations
    }

    // MARK: Plumbing

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private func peek(at position: Int) -> UInt8? {
        position >= 0 && position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8, _ expected: String) throws(JSONParseError) {
        guard let found = peek() else { throw .unexpectedEnd(expected: expected) }
        guard found == byte else { throw .unexpectedByte(found, offset: index, expected: expected) }
        index += 1
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let expected = "'\(literal)'"
        let start = index
        var position = 0
        let count = literal.utf8CodeUnitCount
        while position < count {
            let wanted = literal.utf8Start[position]
            guard let found = peek(at: start + position) else { throw .unexpectedEnd(expected: expected) }
            guard found == wanted else { throw .unexpectedByte(found, offset: start + position, expected: expected) }
            position += 1
        }
        index = start + count
    }
}
