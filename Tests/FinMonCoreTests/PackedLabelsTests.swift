import Testing
@testable import FinMonCore

@Test func packedLabelsKeepShortKeysInlineAndLongOnesInAnArray() {
    for (values, inline) in [([String](), true), ([""], true), (["0123456789ab"], true),
                             (["0123456789abcdef"], true), (["0123456789abcdefg"], false),
                             (["web", "eu"], true), (["a\0b", "é"], true),
                             ([String(repeating: "x", count: 300)], false)] {
        let key = LabelKey(values)
        let packed = PackedLabels(key.bytes)
        #expect(packed.isInline == inline, "\(values)")
        #expect(packed.count == key.bytes.count)
        #expect(packed.bytes == key.bytes)
        #expect(packed.withUnsafeBytes { Array($0) } == key.bytes)
    }
}

@Test func packedLabelsSeeTheSeparatorAndEveryByte() {
    let packed = PackedLabels(LabelKey(["a\"b", "c"]).bytes)
    #expect(packed.contains { $0 == LabelKey.separator })
    #expect(packed.contains { $0 == UInt8(ascii: "\"") })
    #expect(!packed.contains { $0 == UInt8(ascii: "z") })
    // Inline storage is zero-padded past `count`: a lookup must never see those bytes.
    let one = PackedLabels([0x61])
    #expect(one.withUnsafeBytes { $0.count } == 1)
    #expect(!PackedLabels([]).contains { _ in true })
}

@Test func packedLabelsAreWrittenInPlaceInlineOrInANewArray() {
    for count in [0, 5, PackedLabels.inlineCapacity, PackedLabels.inlineCapacity + 1, 100] {
        let packed = PackedLabels(count: count) { buffer in
            #expect(buffer.count == count)
            for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: index &* 7) }
        }
        #expect(packed.isInline == (count <= PackedLabels.inlineCapacity))
        #expect(packed.bytes == (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    }
}
