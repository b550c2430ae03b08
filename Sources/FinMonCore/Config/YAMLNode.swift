/// A YAML document as a plain tree. Every node keeps the 1-based line and column where
/// it starts, because validation errors must point at the offending line.
public struct YAMLNode: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case scalar(Scalar)
        /// Entries in document order; keys are unique (the loader rejects duplicates).
        case mapping([Entry])
        case sequence([YAMLNode])
    }

    public struct Scalar: Sendable, Equatable {
        public let text: String
        /// Plain (unquoted) scalars resolve to null, booleans and numbers; quoted ones are strings.
        public let isPlain: Bool
        /// The resolved explicit tag (`tag:yaml.org,2002:str` for `!!str`), nil when untagged.
        public let tag: String?

        public init(text: String, isPlain: Bool = true, tag: String? = nil) {
            self.text = text
            self.isPlain = isPlain
            self.tag = tag
        }
    }

    public struct Entry: Sendable, Equatable {
        public let key: String
        public let keyLine: Int
        public let keyColumn: Int
        public let value: YAMLNode

        public init(key: String, keyLine: Int, keyColumn: Int, value: YAMLNode) {
            self.key = key
            self.keyLine = keyLine
            self.keyColumn = keyColumn
            self.value = value
        }
    }

    public let content: Content
    public let line: Int
    public let column: Int

    public init(_ content: Content, line: Int, column: Int) {
        self.content = content
        self.line = line
        self.column = column
    }

    /// Loads one document; an empty text or a document holding only comments is nil.
    public static func load(text: String, fileName: String) throws(ConfigError) -> YAMLNode? {
        try YAMLLoader.load(text: text, fileName: fileName)
    }

    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let entries) = content else { return nil }
        return entries.first { $0.key == key }?.value
    }
}

// Scalar resolution follows the YAML 1.2 core schema, deliberately not 1.1: `yes`, `no`,
// `on` and `off` stay strings, so `enabled: off` is an error instead of a silent `false`.
extension YAMLNode.Scalar {
    private static let tagPrefix = "tag:yaml.org,2002:"

    private func resolvesAs(_ name: String) -> Bool {
        if let tag { return tag == Self.tagPrefix + name }
        return isPlain
    }

    public var isNull: Bool {
        guard resolvesAs("null") else { return false }
        if tag != nil { return true }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    public var boolValue: Bool? {
        guard resolvesAs("bool") else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    public var intValue: Int? {
        guard resolvesAs("int") else { return nil }
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0o") {
            radix = 8
            digits = digits.dropFirst(2)
        }
        // Int(_:radix:) would accept its own sign after the prefix; require bare digits.
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        guard let magnitude = UInt(digits, radix: radix) else { return nil }
        if negative {
            if magnitude == UInt(Int.max) + 1 { return Int.min }
            guard let value = Int(exactly: magnitude) else { return nil }
            return -value
        }
        return Int(exactly: magnitude)
    }

    /// Integers count as numbers too, so `collection_interval: 5` and `5.0` mean the same.
    public var doubleValue: Double? {
        if let tag, tag != Self.tagPrefix + "float", tag != Self.tagPrefix + "int" { return nil }
        if tag == nil && !isPlain { return nil }
        if let int = YAMLNode.Scalar(text: text, isPlain: true).intValue { return Double(int) }
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // Double(String) also takes "nan", "inf" and hex floats; only YAML's decimal form may pass.
        guard Self.isDecimalFloat(text) else { return nil }
        return Double(text)
    }

    /// The text of a scalar meant as a string: quoted, `!!str`, or plain but not
    /// resolving to null, a boolean or a number.
    public var stringValue: String? {
        if let tag { return tag == Self.tagPrefix + "str" ? text : nil }
        if !isPlain { return text }
        if isNull || boolValue != nil || doubleValue != nil { return nil }
        return text
    }

    private static func isDecimalFloat(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            bytes = bytes.dropFirst()
        }
        func digitCount() -> Int {
            var count = 0
            while let byte = bytes.first, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                bytes = bytes.dropFirst()
                count += 1
            }
            return count
        }
        var mantissa = digitCount()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            mantissa += digitCount()
        }
        guard mantissa > 0 else { return false }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                bytes = bytes.dropFirst()
            }
            guard digitCount() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}
