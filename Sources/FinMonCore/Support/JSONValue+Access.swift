/// Typed reads of a parsed document. Each accessor answers nil for a value of another
/// type (or out of the asked type's range) rather than throwing, because engine replies
/// differ in what they fill in and callers decide what is required.
extension JSONValue {
    /// The member named `key` of an object (the last one if the key repeats); nil for a
    /// missing key or a non-object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The element at `index` of an array; nil out of bounds or for a non-array.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The members of an object, in document order.
    var objectMembers: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// A non-negative integer, exact; a float only when it is a whole number in range.
    var uint64Value: UInt64? {
        switch self {
        case .int(let value): return UInt64(exactly: value)
        case .uint(let value): return value
        case .number(let value): return UInt64(exactly: value)
        default: return nil
        }
    }

    /// An integer in Int64's range, exact; a float only when it is a whole number in range.
    var int64Value: Int64? {
        switch self {
        case .int(let value): return Int64(exactly: value)
        case .uint(let value): return Int64(exactly: value)
        case .number(let value): return Int64(exactly: value)
        default: return nil
        }
    }

    var intValue: Int? {
        int64Value.flatMap { Int(exactly: $0) }
    }

    /// Any number as a Double (integers past 2^53 round to the nearest Double).
    var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .uint(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }
}
