/// A minimal JSON value and writer, so config dumps and alert log lines need neither
/// Foundation's JSONEncoder (whose number formatting and key order we would not control)
/// nor a Codable conformance per type. `JSONParser` reads documents into it. Output is always valid JSON: non-finite numbers,
/// which JSON cannot express, are written as `null`.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    /// An integer above Int.max, up to UInt64.max (what `JSONParser` makes of Docker's
    /// largest counters); smaller integers are always `.int`.
    case uint(UInt64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in the order given.
    case object([Member])

    struct Member: Sendable, Equatable {
        let key: String
        let value: JSONValue
    }

    /// An object whose members are sorted by key, for output that is stable across versions.
    static func sortedObject(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(members.sorted { $0.0 < $1.0 }.map { Member(key: $0.0, value: $0.1) })
    }

    static func orderedObject(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(members.map { Member(key: $0.0, value: $0.1) })
    }

    static func optional(_ string: String?) -> JSONValue {
        string.map(JSONValue.string) ?? .null
    }

    static func optional(_ number: Double?) -> JSONValue {
        number.map(JSONValue.number) ?? .null
    }

    static func optional(_ int: Int?) -> JSONValue {
        int.map(JSONValue.int) ?? .null
    }

    var rendered: String {
        var output = ""
        write(to: &output)
        return output
    }

    func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .uint(let value): output += String(value)
        case .number(let value): output += Self.format(value)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                item.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { output += "," }
                Self.writeString(member.key, to: &output)
                output += ":"
                member.value.write(to: &output)
            }
            output += "}"
        }
    }

    /// Integral values print without a fraction (`80`, not `80.0`) so JSON readers that
    /// distinguish ints and floats see what a human wrote; Swift's shortest round-trip
    /// form otherwise (`0.1`, `1e-05`), which is valid JSON.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 {
            if let int = Int(exactly: value) { return String(int) }
        }
        return value.description
    }

    static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
