/// Locates the captured /proc trees under Fixtures/proc relative to this file,
/// so tests run from any working directory.
enum ProcFixture {
    static func root(_ name: String, filePath: String = #filePath) -> String {
        let directory = filePath.lastIndex(of: "/").map { String(filePath[..<$0]) } ?? "."
        return directory + "/Fixtures/proc/" + name
    }
}
