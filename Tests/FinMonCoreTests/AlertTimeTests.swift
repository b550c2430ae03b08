import Testing
@testable import FinMonCore

@Suite struct AlertTimeTests {
    @Test func nowReadsBothClocks() {
        let first = AlertTime.now()
        let second = AlertTime.now()
        #expect(second.monotonicSeconds >= first.monotonicSeconds)
        #expect(first.monotonicSeconds > 0)
        // After 2020-01-01: the wall clock is real epoch seconds, not a monotonic count.
        #expect(first.epochSeconds > 1_577_836_800)
    }
}
