import Testing
@testable import FinMonCore

@Test func descriptionNamesThePathAndTheReason() {
    let error = SystemReadError(path: "/proc/meminfo", reason: .missingField("MemTotal"))
    #expect(error.description == "/proc/meminfo: missing field MemTotal")
}

@Test func errnoDescriptionIncludesTheNumberAndTheSystemMessage() {
    let error = SystemReadError(path: "/nope", reason: .cannotOpen(errno: 2))
    #expect(error.description.hasPrefix("/nope: cannot open: "))
    #expect(error.description.hasSuffix("(errno 2)"))
    #expect(error.description.contains("No such file"))
}
