import Testing
@testable import FinMonCore

@Suite struct ConfigErrorTests {
    @Test func descriptionFormats() {
        #expect(ConfigError(kind: .outOfRange, file: "c.yaml", line: 14, column: 5, keyPath: "a.b", message: "bad").description
            == "c.yaml:14: a.b: bad")
        #expect(ConfigError(kind: .syntax, file: "c.yaml", line: 3, column: 7, message: "oops").description
            == "c.yaml:3:7: oops")
        #expect(ConfigError(kind: .unreadable, file: "c.yaml", line: 0, column: 0, message: "cannot open").description
            == "c.yaml: cannot open")
    }
}
