import Testing
@testable import FinMonCore

private func labelValue(_ text: String) -> String {
    var out: [UInt8] = []
    SampleFormatter.escapeLabelValue(text, into: &out)
    return String(decoding: out, as: UTF8.self)
}

private func help(_ text: String, escapeQuote: Bool) -> String {
    var out: [UInt8] = []
    SampleFormatter.escapeHelp(text, escapeQuote: escapeQuote, into: &out)
    return String(decoding: out, as: UTF8.self)
}

@Test func formatSpellsSpecialValuesThePrometheusWay() {
    #expect(SampleFormatter.format(.nan) == "NaN")
    #expect(SampleFormatter.format(.infinity) == "+Inf")
    #expect(SampleFormatter.format(-.infinity) == "-Inf")
}

@Test func formatWritesShortestRoundTrippingNumbers() {
    #expect(SampleFormatter.format(1) == "1.0")
    #expect(SampleFormatter.format(0) == "0.0")
    #expect(SampleFormatter.format(-2.5) == "-2.5")
    #expect(SampleFormatter.format(1e-05) == "1e-05")
    #expect(SampleFormatter.format(0.1) == "0.1")
    #expect(SampleFormatter.format(1e20) == "1e+20")
    for value in [0.1, 1.0 / 3.0, 123_456_789.123, 1e-300, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude] {
        #expect(Double(SampleFormatter.format(value)) == value)
    }
}

@Test func labelValuesEscapeBackslashQuoteAndNewline() {
    #expect(labelValue("plain") == "plain")
    #expect(labelValue(#"a\b"#) == #"a\\b"#)
    #expect(labelValue(#"say "hi""#) == #"say \"hi\""#)
    #expect(labelValue("one\ntwo") == #"one\ntwo"#)
    #expect(labelValue("tab\there") == "tab\there")
    #expect(labelValue("日本") == "日本")
    #expect(labelValue("\\\"\n") == #"\\\"\n"#)
}

@Test func helpEscapesQuoteOnlyWhenAsked() {
    #expect(help(#"a\b"#, escapeQuote: false) == #"a\\b"#)
    #expect(help("x\ny", escapeQuote: false) == #"x\ny"#)
    #expect(help(#"the "best""#, escapeQuote: false) == #"the "best""#)
    #expect(help(#"the "best""#, escapeQuote: true) == #"the \"best\""#)
    #expect(help("a\\\"\n", escapeQuote: true) == #"a\\\"\n"#)
}
