import Testing

@testable import FinMonCore

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(text)
    }

    private func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(bytes)
    }

    // MARK: Valid documents

    @Test(arguments: [
        ("null", JSONValue.null), ("true", .bool(true)), ("false", .bool(false)),
        (#""""#, .string("")), (" \t\r\n 7 \n", .int(7)), ("[]", .array([])), ("{}", .object([])),
        ("[ ]", .array([])), ("{ }", .object([])),
    ] as [(String, JSONValue)])
    func scalarsAndEmptyContainers(text: String, expected: JSONValue) throws {
        #expect(try parse(text) == expected)
    }

    @Test func nestedDocumentKeepsMemberOrder() throws {
        let value = try parse(#"{"b":[1,{"c":null}],"a":{"x":"y"},"d":-2.5}"#)
        #expect(
            value
                == .orderedObject([
                    ("b", .array([.int(1), .orderedObject([("c", .null)])])),
                    ("a", .orderedObject([("x", .string("y"))])),
                    ("d", .number(-2.5)),
                ]))
        #expect(value["b"]?[1]?["c"]?.isNull == true)
    }

    @Test(arguments: [
        ("0", JSONValue.int(0)), ("-0", .int(0)), ("42", .int(42)), ("-42", .int(-42)),
        ("9223372036854775807", .int(Int.max)), ("-9223372036854775808", .int(Int.min)),
        ("9223372036854775808", .uint(9_223_372_036_854_775_808)),
        ("18446744073709551615", .uint(UInt64.max)),
        ("18446744073709551616", .number(18_446_744_073_709_551_616.0)),
        ("-9223372036854775809", .number(-9_223_372_036_854_775_809.0)),
        ("9007199254740993", .int(9_007_199_254_740_993)),
        ("1.5", .number(1.5)), ("-0.25", .number(-0.25)), ("1e3", .number(1000)), ("1E+2", .number(100)),
        ("2.5e-3", .number(0.0025)), ("1.0", .number(1)), ("1e-400", .number(0)),
    ] as [(String, JSONValue)])
    func numbersStayExactWhereTheyFit(text: String, expected: JSONValue) throws {
        #expect(try parse(text) == expected)
    }

    @Test func escapesDecode() throws {
        let value = try parse(#""q\" b\\ s\/ \b\f\n\r\t \u0041\u00e9\u20ac \ud83d\ude00 \u0000""#)
        #expect(value == .string("q\" b\\ s/ \u{8}\u{C}\n\r\t Aé€ 😀 \u{0}"))
    }

    @Test func rawUTF8OfEveryLengthIsKept() throws {
        #expect(try parse("\"aé€😀\"") == .string("aé€😀"))
        // U+10FFFF and U+E000 are the edges of the valid 4- and 3-byte ranges.
        #expect(try parse(bytes: [0x22, 0xF4, 0x8F, 0xBF, 0xBF, 0xEE, 0x80, 0x80, 0x22]) == .string("\u{10FFFF}\u{E000}"))
    }

    @Test func duplicateKeysAreKeptAndLookupTakesTheLast() throws {
        let value = try parse(#"{"a":1,"a":2}"#)
        #expect(value.objectMembers?.count == 2)
        #expect(value["a"] == .int(2))
    }

    @Test func realEngineRepliesParse() throws {
        let list = try parse(PodmanFixtures.containersList)
        #expect(list.arrayValue?.count == 2)
        #expect(list[0]?["Labels"]?["finlab-sandbox"] == .string("1"))
        let stats = try parse(PodmanFixtures.statsRunningFirst)
        #expect(stats["cpu_stats"]?["cpu_usage"]?["total_usage"] == .int(2_316_156_793))
        #expect(try parse(PodmanFixtures.removeNotFound)["response"] == .int(404))
    }

    @Test func depthUpToTheLimitIsAccepted() throws {
        let text = String(repeating: "[", count: 8) + String(repeating: "]", count: 8)
        #expect(try JSONParser.parse(text, maxDepth: 8) != .null)
        let objects = String(repeating: #"{"a":"#, count: 8) + "1" + String(repeating: "}", count: 8)
        #expect(try JSONParser.parse(objects, maxDepth: 8)["a"]?["a"] != nil)
    }

    // MARK: Every error class

    @Test func tooLarge() {
        #expect(throws: JSONParseError.tooLarge(size: 6, limit: 5)) { try JSONParser.parse("[1,2]\n", maxBytes: 5) }
    }

    @Test func tooDeepIsRefusedWithoutExhaustingTheStack() {
        #expect(throws: JSONParseError.tooDeep(limit: 8, offset: 8)) {
            try JSONParser.parse(String(repeating: "[", count: 9) + String(repeating: "]", count: 9), maxDepth: 8)
        }
        #expect(throws: JSONParseError.tooDeep(limit: 64, offset: 64)) {
            try parse(String(repeating: "[", count: 200_000))
        }
        #expect(throws: JSONParseError.tooDeep(limit: 64, offset: 320)) {
            try parse(String(repeating: #"{"a":"#, count: 100))
        }
    }

    @Test(arguments: [
        ("", "a value"), ("   ", "a value"), ("[1,", "a value"), ("[1", "',' or ']'"), (#"{"a""#, "':' after a member name"),
        (#"{"a":1"#, "',' or '}'"), ("{", "a member name"), (#""abc"#, "the closing '\"' of a string"),
        ("tr", "'true'"), ("-", "a digit"), ("1.", "a digit after the decimal point"), ("1e+", "a digit in the exponent"),
        (#""\"#, "an escape character"), (#""\u12"#, "four hex digits after \\u"),
    ])
    func unexpectedEnd(text: String, expected: String) {
        #expect(throws: JSONParseError.unexpectedEnd(expected: expected)) { try parse(text) }
    }

    @Test(arguments: [
        ("[1 2]", UInt8(ascii: "2"), 3, "',' or ']'"), ("[1,]", UInt8(ascii: "]"), 3, "a value"),
        ("{1:2}", UInt8(ascii: "1"), 1, "a member name in double quotes"),
        (#"{"a" 1}"#, UInt8(ascii: "1"), 5, "':' after a member name"),
        (#"{"a":1,}"#, UInt8(ascii: "}"), 7, "a member name in double quotes"),
        (#"{"a":1]"#, UInt8(ascii: "]"), 6, "',' or '}'"),
        ("1 2", UInt8(ascii: "2"), 2, "the end of the document"), ("'a'", UInt8(ascii: "'"), 0, "a value"),
        ("NaN", UInt8(ascii: "N"), 0, "a value"), ("nul1", UInt8(ascii: "1"), 3, "'null'"),
        ("fals", 0, 0, ""), (".5", UInt8(ascii: "."), 0, "a value"), ("+1", UInt8(ascii: "+"), 0, "a value"),
        ("[1]/*c*/", UInt8(ascii: "/"), 3, "the end of the document"),
    ] as [(String, UInt8, Int, String)])
    func unexpectedByte(text: String, byte: UInt8, offset: Int, expected: String) {
        if byte == 0 {
            #expect(throws: JSONParseError.unexpectedEnd(expected: "'false'")) { try parse(text) }
        } else {
            #expect(throws: JSONParseError.unexpectedByte(byte, offset: offset, expected: expected)) { try parse(text) }
        }
    }

    @Test func byteOrderMarkIsRefused() {
        #expect(throws: JSONParseError.unexpectedByte(0xEF, offset: 0, expected: "a value")) {
            try parse(bytes: [0xEF, 0xBB, 0xBF, 0x31])
        }
    }

    @Test(arguments: [
        ("01", "leading zeros are not allowed"), ("-01", "leading zeros are not allowed"),
        ("-a", "expected a digit after '-'"), ("1.e3", "expected a digit after the decimal point"),
        ("1ex", "expected a digit in the exponent"), ("[2.]", "expected a digit after the decimal point"),
    ])
    func invalidNumber(text: String, reason: String) {
        #expect(throws: JSONParseError.invalidNumber(offset: text.hasPrefix("[") ? 1 : 0, reason: reason)) {
            try parse(text)
        }
    }

    @Test(arguments: ["1e400", "-1e400", "[0, 1.8e308]"])
    func numberOutOfRange(text: String) {
        #expect(throws: JSONParseError.numberOutOfRange(offset: text.hasPrefix("[") ? 4 : 0)) { try parse(text) }
    }

    @Test(arguments: [#""\x""#, #""\'""#, #""\U0041""#, #""\ ""#])
    func invalidEscape(text: String) {
        #expect(throws: JSONParseError.invalidEscape(offset: 1)) { try parse(text) }
    }

    @Test(arguments: [
        (#""\u00g0""#, 1, "expected four hex digits"),
        (#""\ude00""#, 1, "a low surrogate without its high surrogate"),
        (#""\ud83d""#, 1, "a high surrogate without its low surrogate"),
        (#""\ud83dx""#, 1, "a high surrogate without its low surrogate"),
        (#""\ud83d\u0041""#, 7, "a high surrogate without its low surrogate"),
        (#""\ud83d\uzzzz""#, 7, "expected four hex digits"),
    ] as [(String, Int, String)])
    func invalidUnicodeEscape(text: String, offset: Int, reason: String) {
        #expect(throws: JSONParseError.invalidUnicodeEscape(offset: offset, reason: reason)) { try parse(text) }
    }

    @Test(arguments: [0x00, 0x01, 0x0A, 0x1F] as [UInt8])
    func controlCharacterInString(byte: UInt8) {
        #expect(throws: JSONParseError.controlCharacter(offset: 2)) { try parse(bytes: [0x22, 0x61, byte, 0x22]) }
    }

    @Test(arguments: [
        [0xFF], [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82],
        [0xE2, 0x28, 0xA1], [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
        [0xF0, 0x9F, 0x98],
    ] as [[UInt8]])
    func invalidUTF8InString(sequence: [UInt8]) {
        #expect(throws: JSONParseError.invalidUTF8(offset: 2)) { try parse(bytes: [0x22, 0x61] + sequence + [0x22]) }
    }

    @Test func everyErrorDescribesItselfInPlainText() {
        let errors: [JSONParseError] = [
            .tooLarge(size: 9, limit: 8), .tooDeep(limit: 64, offset: 3), .unexpectedEnd(expected: "a value"),
            .unexpectedByte(UInt8(ascii: "x"), offset: 1, expected: "a value"),
            .unexpectedByte(0x07, offset: 1, expected: "a value"), .invalidNumber(offset: 0, reason: "r"),
            .numberOutOfRange(offset: 0), .invalidEscape(offset: 0), .invalidUnicodeEscape(offset: 0, reason: "r"),
            .controlCharacter(offset: 0), .invalidUTF8(offset: 0),
        ]
        for error in errors {
            #expect(!error.description.isEmpty)
            #expect(error.description.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F })
        }
        #expect(JSONParseError.unexpectedByte(0x07, offset: 1, expected: "a value").description.contains("0x07"))
        #expect(JSONParseError.unexpectedByte(UInt8(ascii: "x"), offset: 1, expected: "v").description.contains("'x'"))
    }

    // MARK: Fuzzing

    /// Mutated documents (bytes flipped, inserted, deleted, truncated, spliced) must each
    /// end in a value or a JSONParseError: the test traps if the parser ever does.
    /// Whatever parses renders back to JSON that parses again.
    @Test func mutatedInputsNeverCrash() throws {
        let seeds: [[UInt8]] = [
            PodmanFixtures.containersList, PodmanFixtures.statsRunningFirst, PodmanFixtures.version,
            #"{"a":[1,-2.5e3,true,false,null,"\u00e9\ud83d\ude00\n"],"b":{"c":18446744073709551615}}"#,
            "[[[[[[[[[[]]]]]]]]]]", "\"aé€😀\"",
        ].map { Array($0.utf8) }
        let interesting: [UInt8] = Array(#"{}[]",:\u0123456789eE+-.tfn"#.utf8) + [0x00, 0x1F, 0x80, 0xBF, 0xC0, 0xED, 0xF4, 0xFF]
        var random = SplitMix64(seed: 0x5EED_F1A7)
        var parsed = 0
        for round in 0..<6_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0...(random.below(4)) {
                bytes = mutate(bytes, with: &random, alphabet: interesting)
            }
            if let value = try? JSONParser.parse(bytes, maxDepth: 16) {
                parsed += 1
                if (try? JSONParser.parse(value.rendered)) == nil {
                    Issue.record("the rendered form of round \(round) did not parse: \(value.rendered)")
                }
            }
        }
        // Some mutations (inside strings, digits for digits) keep the document valid.
        #expect(parsed > 0)
    }

    private func mutate(_ input: [UInt8], with random: inout SplitMix64, alphabet: [UInt8]) -> [UInt8] {
        var bytes = input
        let position = bytes.isEmpty ? 0 : random.below(bytes.count)
        let byte: UInt8 = random.below(2) == 0 ? alphabet[random.below(alphabet.count)] : UInt8(truncatingIfNeeded: random.next())
        switch random.below(5) {
        case 0 where !bytes.isEmpty: bytes[position] = byte
        case 1: bytes.insert(byte, at: position)
        case 2 where !bytes.isEmpty: bytes.remove(at: position)
        case 3: bytes = Array(bytes.prefix(position))
        default:
            let start = bytes.isEmpty ? 0 : random.below(bytes.count)
            let end = min(bytes.count, start + random.below(12))
            bytes.insert(contentsOf: bytes[start..<end], at: position)
        }
        return bytes
    }
}
