import Testing
@testable import FinMonCore

@Suite struct YAMLNodeTests {
    private func load(_ text: String) throws -> YAMLNode? {
        try YAMLNode.load(text: text, fileName: "t.yaml")
    }

    private func loadError(_ text: String) -> ConfigError? {
        do {
            _ = try YAMLNode.load(text: text, fileName: "t.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func mappingKeepsOrderAndOneBasedPositions() throws {
        let root = try #require(try load("b: 1\na:\n  - x\n  - \"y\"\nc: {d: e}\n"))
        guard case .mapping(let entries) = root.content else {
            Issue.record("root is not a mapping")
            return
        }
        #expect(entries.map(\.key) == ["b", "a", "c"])
        #expect(entries.map(\.keyLine) == [1, 2, 5])
        #expect(entries[0].keyColumn == 1)
        #expect(entries[0].value.line == 1 && entries[0].value.column == 4)
        guard case .sequence(let items) = entries[1].value.content else {
            Issue.record("a is not a sequence")
            return
        }
        #expect(items.map(\.line) == [3, 4])
        #expect(items[1].content == .scalar(YAMLNode.Scalar(text: "y", isPlain: false)))
        #expect(root["c"]?["d"]?.content == .scalar(YAMLNode.Scalar(text: "e")))
    }

    @Test func emptyAndCommentOnlyTextsAreNoDocument() throws {
        #expect(try load("") == nil)
        #expect(try load("# just a comment\n\n") == nil)
    }

    @Test func scalarsResolveByTheCoreSchema() {
        func plain(_ text: String) -> YAMLNode.Scalar { YAMLNode.Scalar(text: text) }
        #expect(plain("").isNull && plain("~").isNull && plain("null").isNull && plain("NULL").isNull)
        #expect(!YAMLNode.Scalar(text: "null", isPlain: false).isNull)
        #expect(plain("true").boolValue == true && plain("False").boolValue == false)
        #expect(plain("yes").boolValue == nil && plain("off").boolValue == nil)
        #expect(plain("yes").stringValue == "yes")
        #expect(plain("42").intValue == 42 && plain("-3").intValue == -3 && plain("+7").intValue == 7)
        #expect(plain("0x1F").intValue == 31 && plain("0o17").intValue == 15)
        #expect(plain("-9223372036854775808").intValue == Int.min)
        #expect(plain("9223372036854775808").intValue == nil)
        #expect(plain("0x-1").intValue == nil && plain("1_000").intValue == nil && plain("4.0").intValue == nil)
        #expect(plain("0.5").doubleValue == 0.5 && plain("5").doubleValue == 5 && plain("1e3").doubleValue == 1000)
        #expect(plain(".5").doubleValue == 0.5 && plain("-2.5E-1").doubleValue == -0.25)
        #expect(plain(".inf").doubleValue == .infinity && plain("-.inf").doubleValue == -.infinity)
        #expect(plain(".nan").doubleValue?.isNaN == true)
        #expect(plain("nan").doubleValue == nil && plain("inf").doubleValue == nil && plain("0x1p3").doubleValue == nil)
        #expect(plain("1e").doubleValue == nil && plain(".").doubleValue == nil && plain("1.2.3").doubleValue == nil)
        #expect(YAMLNode.Scalar(text: "5", isPlain: false).doubleValue == nil)
        #expect(YAMLNode.Scalar(text: "5", isPlain: false).stringValue == "5")
        #expect(plain("5").stringValue == nil && plain("hello").stringValue == "hello")
    }

    @Test func explicitTagsDecideTheType() throws {
        let root = try #require(try load("a: !!str 5\nb: !!int \"7\"\nc: ! 8\n"))
        guard case .scalar(let a) = root["a"]?.content, case .scalar(let b) = root["b"]?.content,
              case .scalar(let c) = root["c"]?.content else {
            Issue.record("expected scalars")
            return
        }
        #expect(a.stringValue == "5" && a.intValue == nil)
        #expect(b.intValue == 7 && b.stringValue == nil)
        #expect(c.stringValue == "8")
    }

    @Test func duplicateKeysAreRejectedAtTheSecondKey() {
        let error = loadError("a:\n  x: 1\n  y: 2\n  x: 3\n")
        #expect(error?.kind == .unsupported)
        #expect(error?.line == 4 && error?.column == 3)
        #expect(error?.description == "t.yaml:4:3: duplicate key 'x' (first defined on line 2)")
    }

    @Test func anchorsAliasesAndUnknownTagsAreRejected() {
        #expect(loadError("a: &x 1\nb: *x\n")?.description == "t.yaml:1:4: anchors and aliases are not supported")
        #expect(loadError("a: [1]\nb: &y {c: 1}\n")?.line == 2)
        #expect(loadError("a: !custom 1\n")?.description == "t.yaml:1:4: tag '!custom' is not supported")
        #expect(loadError("? [a, b]\n: 1\n")?.message == "mapping keys must be scalars")
    }

    @Test func secondDocumentIsRejected() {
        let error = loadError("a: 1\n---\nb: 2\n")
        #expect(error?.kind == .unsupported)
        #expect(error?.line == 2)
    }

    @Test func syntaxErrorsCarryLibyamlsPosition() {
        let error = loadError("a: 1\nb: c: d\n")
        #expect(error?.kind == .syntax)
        #expect(error?.line == 2 && error?.column == 5)
        #expect(error?.description == "t.yaml:2:5: YAML syntax error: mapping values are not allowed in this context")
        let unclosed = loadError("a: [1, 2\nb: 3\n")
        #expect(unclosed?.kind == .syntax)
        #expect(unclosed?.message.hasPrefix("YAML syntax error: ") == true)
    }

    @Test func invalidUTF8IsASyntaxErrorOnItsLine() {
        var bytes = Array("a: 1\nb: x".utf8)
        bytes.append(0xFF)
        bytes.append(contentsOf: Array("\n".utf8))
        do {
            _ = try YAMLLoader.load(bytes: bytes, fileName: "t.yaml")
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.line == 2 && error.column == 5)
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(loadError(deep)?.message == "nesting deeper than 64 levels is not supported")
        let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(loadError(allowed) == nil)
        let blockDeep = (0..<100).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n")
        #expect(loadError(blockDeep)?.kind == .unsupported)
    }
}
