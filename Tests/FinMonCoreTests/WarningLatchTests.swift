import Testing
@testable import FinMonCore

@Test func warnsOnceUntilTheSourceRecovers() {
    var latch = WarningLatch<SystemCollector>()
    let transitions = [
        latch.recordFailure(.disk),
        latch.recordFailure(.disk),
        latch.recordFailure(.disk),
    ]
    #expect(transitions == [true, false, false])
    #expect(latch.isFailing(.disk))
    let recovered = latch.recordSuccess(.disk)
    #expect(recovered)
    #expect(!latch.isFailing(.disk))
    let failsAgain = latch.recordFailure(.disk)
    #expect(failsAgain)
}

@Test func successWithoutPriorFailureIsNotARecovery() {
    var latch = WarningLatch<String>()
    let recovered = latch.recordSuccess("cpu")
    #expect(!recovered)
}

@Test func sourcesAreIndependent() {
    var latch = WarningLatch<SystemCollector>()
    let transitions = [latch.recordFailure(.cpu), latch.recordFailure(.memory), latch.recordSuccess(.cpu)]
    #expect(transitions == [true, true, true])
    #expect(latch.failing == [.memory])
}
