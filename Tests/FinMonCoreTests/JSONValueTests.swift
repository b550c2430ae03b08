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
