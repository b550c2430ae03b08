import Testing
@testable import FinMonCore

@Suite struct AlertmanagerOutboxTests {
    private typealias E = AlertTestEvents

    @Test func aFiringAlertIsPostedThenResentEveryInterval() {
        var outbox = AlertmanagerOutbox()
        #expect(!outbox.isDue(at: 0, resendIntervalSeconds: 60) && outbox.resendDue(resendIntervalSeconds: 60) == nil)
        outbox.record(E.firing())
        #expect(outbox.hasChanges && outbox.isDue(at: 0, resendIntervalSeconds: 60))
        let post = outbox.takePost(nowEpochSeconds: E.epoch + 1, resendIntervalSeconds: 60)
        #expect(post == [.init(event: E.firing(), endsAtEpochSeconds: E.epoch + 241)])
        #expect(outbox.isInFlight && !outbox.isDue(at: 1000, resendIntervalSeconds: 60))
        outbox.completeInFlight(at: 10)
        #expect(!outbox.hasChanges && outbox.lastPostSeconds == 10)
        #expect(outbox.resendDue(resendIntervalSeconds: 60) == 70)
        #expect(!outbox.isDue(at: 69, resendIntervalSeconds: 60) && outbox.isDue(at: 70, resendIntervalSeconds: 60))
        #expect(outbox.pendingCount == 1)
    }

    @Test func aResolveIsPostedOnceWithEndsAtItsTime() {
        var outbox = AlertmanagerOutbox()
        outbox.record(E.firing())
        _ = outbox.takePost(nowEpochSeconds: E.epoch, resendIntervalSeconds: 60)
        outbox.completeInFlight(at: 0)
        outbox.record(E.resolved(at: 30))
        #expect(!outbox.hasFiring && outbox.isDue(at: 31, resendIntervalSeconds: 60))
        let post = outbox.takePost(nowEpochSeconds: E.epoch + 31, resendIntervalSeconds: 60)
        #expect(post == [.init(event: E.resolved(at: 30), endsAtEpochSeconds: E.epoch + 30)])
        outbox.completeInFlight(at: 31)
        #expect(outbox.pendingCount == 0 && !outbox.isDue(at: 10_000, resendIntervalSeconds: 60))
    }

    @Test func aFailedPostKeepsEverythingAndNewerEventsSupersedeOlder() {
        var outbox = AlertmanagerOutbox()
        outbox.record(E.firing(.highMemory))
        outbox.record(E.firing(.highCPU))
        _ = outbox.takePost(nowEpochSeconds: E.epoch, resendIntervalSeconds: 60)
        outbox.releaseInFlight()
        #expect(outbox.hasChanges && outbox.pendingCount == 2)
        outbox.record(E.resolved(.highMemory, at: 5))
        outbox.record(E.firing(.highMemory, at: 8))  // fired again: the resolve is superseded
        let post = outbox.takePost(nowEpochSeconds: E.epoch + 9, resendIntervalSeconds: 60)
        #expect(post.map(\.event) == [E.firing(.highMemory, at: 8), E.firing(.highCPU)])
    }

    @Test func eventsArrivingDuringAPostAreNotAcknowledgedByIt() {
        var outbox = AlertmanagerOutbox()
        outbox.record(E.firing(.highMemory))
        outbox.record(E.resolved(.highCPU, at: 1))
        _ = outbox.takePost(nowEpochSeconds: E.epoch, resendIntervalSeconds: 60)
        outbox.record(E.firing(.highCPU, at: 2))  // replaces the resolve in flight
        outbox.completeInFlight(at: 3)
        #expect(outbox.hasChanges)
        #expect(outbox.firing[.highCPU] == E.firing(.highCPU, at: 2))
        let next = outbox.takePost(nowEpochSeconds: E.epoch + 3, resendIntervalSeconds: 60)
        #expect(next.map(\.event.alertType) == [.highMemory, .highCPU])
        outbox.completeInFlight(at: 4)
        #expect(!outbox.hasChanges)
        outbox.completeInFlight(at: 5)  // nothing in flight: nothing changes
        #expect(outbox.lastPostSeconds == 4)
    }
}
