/// Why `JSONParser` refused a document. Offsets are byte offsets into the input, so a
/// message can point at the exact spot in an engine's reply.
public enum JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input is longer than the parser's size limit.
    case tooLarge(size: Int, limit: Int)
    /// Arrays and objects are nested deeper than the parser's depth limit.
    case tooDeep(limit: Int, offset: Int)
    /// The input ended inside a value (or was empty).
    case unexpectedEnd(expected: String)
    /// A byte that cannot start or continue what the grammar allows here.
    case unexpectedByte(UInt8, offset: Int, expected: String)
    /// A number that breaks JSON's grammar (leading zero, missing digits).
    case invalidNumber(offset: Int, reason: String)
    /// A number too large for a Double (JSON has no infinities).
    case numberOutOfRange(offset: Int)
    /// A backslash escape JSON does not define.
    case invalidEscape(offset: Int)
    /// `\u` with bad hex digits, or a surrogate without its pair.
    case invalidUnicodeEscape(offset: Int, reason: String)
    /// An unescaped control character (below U+0020) inside a string.
    case controlCharacter(offset: Int)
    /// Bytes inside a string that are not well-formed UTF-8.
    case invalidUTF8(offset: Int)

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit):
            return "JSON document of \(size) bytes exceeds the limit of \(limit) bytes"
        case .tooDeep(let limit, let offset):
            return "JSON nested deeper than \(limit) levels at byte \(offset)"
        case .unexpectedEnd(let expected):
            return "JSON ended early: expected \(expected)"
        case .unexpectedByte(let byte, let offset, let expected):
            return "unexpected \(Self.show(byte)) at byte \(offset) of JSON: expected \(expected)"
        case .invalidNumber(let offset, let reason):
            return "invalid JSON number at byte \(offset): \(reason)"
        case .numberOutOfRange(let offset):
            return "JSON number at byte \(offset) is out of range"
        case .invalidEscape(let offset):
            return "invalid escape in a JSON string at byte \(offset)"
        case .invalidUnicodeEscape(let offset, let reason):
            return "invalid \\u escape in a JSON string at byte \(offset): \(reason)"
        case .controlCharacter(let offset):
            return "unescaped control character in a JSON string at byte \(offset)"
        case .invalidUTF8(let offset):
            return "invalid UTF-8 in a JSON string at byte \(offset)"
        }
    }

    /// A printable character as itself in quotes, anything else as hex, so the message
    /// itself never carries control bytes or broken UTF-8.
    private static func show(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
    }
}
