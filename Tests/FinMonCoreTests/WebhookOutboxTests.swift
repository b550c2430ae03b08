import Testing
@testable import FinMonCore

@Suite struct WebhookOutboxTests {
    private typealias E = AlertTestEvents

    @Test func sendsInOrderOneAtATime() {
        var outbox = WebhookOutbox(capacity: 10)
        var next = outbox.takeNext()
        #expect(next == nil && !outbox.hasWork)
        let dropped = outbox.enqueue(E.firing(.highCPU)) + outbox.enqueue(E.resolved(.highCPU, at: 5))
        #expect(dropped == 0 && outbox.hasWork)
        next = outbox.takeNext()
        #expect(next == E.firing(.highCPU))
        next = outbox.takeNext()
        #expect(next == nil && !outbox.hasWork)  // one in flight at a time
        outbox.releaseInFlight()  // failed: first in line again
        next = outbox.takeNext()
        #expect(next == E.firing(.highCPU))
        outbox.removeInFlight()
        next = outbox.takeNext()
        #expect(next == E.resolved(.highCPU, at: 5))
        outbox.removeInFlight()
        #expect(outbox.pending.isEmpty)
        outbox.removeInFlight()  // nothing in flight: nothing happens
        #expect(outbox.pending.isEmpty)
    }

    @Test func overflowDropsTheOldestNotOnTheWire() {
        var outbox = WebhookOutbox(capacity: 2)
        _ = outbox.enqueue(E.firing(.highCPU, at: 1))
        _ = outbox.enqueue(E.firing(.highMemory, at: 2))
        var dropped = outbox.enqueue(E.firing(.orphanedContainers, at: 3))
        #expect(dropped == 1)
        #expect(outbox.pending.map(\.alertType) == [.highMemory, .orphanedContainers])
        let next = outbox.takeNext()
        #expect(next?.alertType == .highMemory)
        dropped = outbox.enqueue(E.firing(.championStaleness, at: 4))
        #expect(dropped == 1)
        // The event in flight stays; the oldest waiting one went.
        #expect(outbox.pending.map(\.alertType) == [.highMemory, .championStaleness])
        #expect(WebhookOutbox(capacity: 0).capacity == 2)
    }
}
