import Testing
@testable import FinMonCore

@Test func versionStringJoinsTheParts() {
    #expect(FinMonVersion.string == "\(FinMonVersion.major).\(FinMonVersion.minor).\(FinMonVersion.patch)")
}
