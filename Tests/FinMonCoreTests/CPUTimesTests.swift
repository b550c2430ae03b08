import Testing
@testable import FinMonCore

@Test func totalLeavesOutGuestTimeAlreadyCountedInUserAndNice() {
    let times = CPUTimes(user: 10, nice: 2, system: 3, idle: 50, iowait: 4, irq: 1, softirq: 1, steal: 1, guest: 7, guestNice: 1)
    #expect(times.total == 72)
    #expect(times.busy == 72 - 50 - 4)
}

@Test func clampedDeltaTrimsDecreasingFieldsToZero() {
    let earlier = CPUTimes(user: 10, idle: 50, iowait: 9)
    let later = CPUTimes(user: 15, idle: 60, iowait: 4)
    let delta = later.clampedDelta(since: earlier)
    #expect(delta == CPUTimes(user: 5, idle: 10, iowait: 0))
}
