import Testing
@testable import FinMonCore

@Test func quotedEscapesQuoteBackslashAndWhitespace() {
    #expect(JSONText.quoted("") == #""""#)
    #expect(JSONText.quoted("plain") == #""plain""#)
    #expect(JSONText.quoted(#"a"b"#) == #""a\"b""#)
    #expect(JSONText.quoted(#"a\b"#) == #""a\\b""#)
    #expect(JSONText.quoted("a\nb\rc\td") == #""a\nb\rc\td""#)
}

@Test func quotedEscapesEveryOtherControlCharacterAsU00XX() {
    #expect(JSONText.quoted("\u{0}") == #""\u0000""#)
    #expect(JSONText.quoted("\u{8}\u{c}") == #""\u0008\u000c""#)
    #expect(JSONText.quoted("\u{1b}[0m") == #""\u001b[0m""#)
    #expect(JSONText.quoted("\u{1f}") == #""\u001f""#)
    for value in UInt8(0)..<0x20 {
        let quoted = JSONText.quoted(String(UnicodeScalar(value)))
        #expect(!quoted.utf8.contains { $0 < 0x20 })
    }
}

@Test func quotedKeepsPrintableAndNonASCIITextAsIs() {
    #expect(JSONText.quoted(" ~\u{7f}") == "\" ~\u{7f}\"")
    #expect(JSONText.quoted("é日本🙂") == "\"é日本🙂\"")
}

@Test func appendStringAppends() {
    var out = "["
    JSONText.appendString("a", to: &out)
    out += ","
    JSONText.appendString("b\n", to: &out)
    out += "]"
    #expect(out == #"["a","b\n"]"#)
}

@Test func numbersWithoutAJSONSpellingBecomeNull() {
    #expect(JSONText.number(.nan) == "null")
    #expect(JSONText.number(.infinity) == "null")
    #expect(JSONText.number(-.infinity) == "null")
    #expect(JSONText.number(1) == "1.0")
    #expect(JSONText.number(-2.5) == "-2.5")
    #expect(JSONText.number(1e-05) == "1e-05")
    #expect(JSONText.number(0) == "0.0")
}
