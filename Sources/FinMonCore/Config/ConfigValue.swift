/// The value of one setting, as the config table types it.
///
/// Numbers that the table types as integers stay `.int`; every other number (seconds,
/// percentages, thresholds) is `.number`, so `5` and `5.0` in a file mean the same.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    /// A list of strings (`orphan_statuses`).
    case strings([String])
    /// A mapping of names to strings (`alertmanager.labels`).
    case labels([String: String])

    /// As it would be written in the YAML file (flow style for lists and mappings).
    public var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .number(let value): JSONValue.format(value)
        case .string(let value): JSONText.quoted(value)
        case .strings(let values): "[" + values.map(JSONText.quoted).joined(separator: ", ") + "]"
        case .labels(let values):
            "{" + values.sorted { $0.key < $1.key }.map { "\($0.key): \(JSONText.quoted($0.value))" }
                .joined(separator: ", ") + "}"
        }
    }

    var json: JSONValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .int(value)
        case .number(let value): .number(value)
        case .string(let value): .string(value)
        case .strings(let values): .array(values.map(JSONValue.string))
        case .labels(let values): .sortedObject(values.map { ($0.key, .string($0.value)) })
        }
    }

    /// The value as the YAML loader would have read it, to check it with the same rules.
    var yamlNode: YAMLNode {
        func scalar(_ text: String, plain: Bool = true) -> YAMLNode {
            YAMLNode(.scalar(YAMLNode.Scalar(text: text, isPlain: plain)), line: 0, column: 0)
        }
        switch self {
        case .null: return scalar("null")
        case .bool(let value): return scalar(value ? "true" : "false")
        case .int(let value): return scalar(String(value))
        case .number(let value):
            if value.isNaN { return scalar(".nan") }
            if value.isInfinite { return scalar(value > 0 ? ".inf" : "-.inf") }
            return scalar(JSONValue.format(value))
        case .string(let value): return scalar(value, plain: false)
        case .strings(let values): return YAMLNode(.sequence(values.map { scalar($0, plain: false) }), line: 0, column: 0)
        case .labels(let values):
            let entries = values.sorted { $0.key < $1.key }.map {
                YAMLNode.Entry(key: $0.key, keyLine: 0, keyColumn: 0, value: scalar($0.value, plain: false))
            }
            return YAMLNode(.mapping(entries), line: 0, column: 0)
        }
    }
}

// Literals, so code and tests can write `try config.set("monitoring.prometheus.port", 0)`.
extension ConfigValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByStringLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral
{
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: String...) { self = .strings(elements) }
}

extension ConfigValue: ExpressibleByStringInterpolation, ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self = .labels(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
