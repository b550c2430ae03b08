import Testing
@testable import FinMonCore

@Suite struct JSONValueTests {
    @Test(arguments: [
        (80.0, "80"), (0.1, "0.1"), (-2.5, "-2.5"), (1e-05, "1e-05"), (1e20, "1e+20"),
        (123_456_789_012_345.0, "123456789012345"), (.nan, "null"), (.infinity, "null"), (-.infinity, "null"),
    ] as [(Double, String)])
    func numbers(value: Double, expected: String) {
        #expect(JSONValue.format(value) == expected)
    }

    @Test func nestedValuesRenderCompactly() throws {
        let value = JSONValue.sortedObject([
            ("b", .array([.int(1), .null, .bool(false)])),
            ("a", .orderedObject([("z", .string("x\u{1}y")), ("y", .optional(nil as Int?))])),
        ])
        #expect(value.rendered == #"{"a":{"z":"x\u0001y","y":null},"b":[1,null,false]}"#)
        #expect(try ConfigTestSupport.JSON.parse(value.rendered)["a"]?["z"] == .string("x\u{1}y"))
    }
}

@Suite struct JSONValueAccessTests {
    private let document = JSONValue.orderedObject([
        ("s", .string("x")), ("b", .bool(true)), ("n", .null), ("i", .int(-3)), ("u", .uint(UInt64.max)),
        ("d", .number(2.0)), ("f", .number(2.5)), ("a", .array([.int(1), .string("two")])),
    ])

    @Test func typedReadsAnswerNilForOtherTypes() {
        #expect(document["s"]?.stringValue == "x")
        #expect(document["b"]?.boolValue == true)
        #expect(document["n"]?.isNull == true)
        #expect(document["s"]?.isNull == false)
        #expect(document["a"]?[1]?.stringValue == "two")
        #expect(document["a"]?[2] == nil)
        #expect(document["a"]?[-1] == nil)
        #expect(document["a"]?.arrayValue?.count == 2)
        #expect(document.objectMembers?.count == 8)
        #expect(document["missing"] == nil)
        #expect(document[0] == nil)
        #expect(JSONValue.int(1)["key"] == nil)
        #expect(document["s"]?.boolValue == nil)
        #expect(document["b"]?.stringValue == nil)
        #expect(document["s"]?.arrayValue == nil)
        #expect(document["s"]?.objectMembers == nil)
        #expect(document["s"]?.doubleValue == nil)
        #expect(document["s"]?.uint64Value == nil)
        #expect(document["s"]?.int64Value == nil)
    }

    @Test func numbersConvertOnlyWhenExact() {
        #expect(document["i"]?.int64Value == -3)
        #expect(document["i"]?.intValue == -3)
        #expect(document["i"]?.uint64Value == nil)
        #expect(document["u"]?.uint64Value == UInt64.max)
        #expect(document["u"]?.int64Value == nil)
        #expect(document["u"]?.doubleValue == 18_446_744_073_709_551_615.0)
        #expect(document["d"]?.uint64Value == 2)
        #expect(document["d"]?.int64Value == 2)
        #expect(document["f"]?.uint64Value == nil)
        #expect(document["f"]?.intValue == nil)
        #expect(document["f"]?.doubleValue == 2.5)
        #expect(document["i"]?.doubleValue == -3)
        #expect(JSONValue.uint(5).int64Value == 5)
    }

    @Test func largeUnsignedIntegersRender() {
        #expect(JSONValue.array([.uint(UInt64.max)]).rendered == "[18446744073709551615]")
    }
}
