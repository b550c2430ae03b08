import Glibc
import Testing
@testable import FinMonCore

@Suite struct AtomicFileTests {
    private func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func replacesTheFileAndLeavesNoTemporary() throws {
        let directory = try ConfigTestSupport.TemporaryDirectory()
        let path = directory.path + "/record.json"
        try AtomicFile.write(Array("old".utf8), to: path)
        try AtomicFile.write(Array("new content".utf8), to: path)
        #expect(read(path) == "new content")
        #expect(access(path + ".tmp.\(getpid())", F_OK) != 0)
    }

    @Test func aMissingFolderIsAnErrorThatNamesThePath() {
        #expect(throws: AtomicFile.WriteError.self) {
            try AtomicFile.write([1, 2, 3], to: "/nonexistent-finmon-dir/record.json")
        }
        do {
            try AtomicFile.write([1], to: "/nonexistent-finmon-dir/x")
        } catch {
            #expect(error.description.contains("cannot create /nonexistent-finmon-dir/x.tmp."))
            #expect(error.errno == ENOENT)
        }
    }
}
