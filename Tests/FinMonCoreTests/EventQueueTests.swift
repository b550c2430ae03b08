import Dispatch
import Testing
@testable import FinMonCore

private func event(_ message: String) -> RuntimeEvent {
    RuntimeEvent(level: .info, message: message)
}

@Test func eventsComeOutInTheOrderPushed() {
    let queue = EventQueue()
    for i in 0..<5 { queue.push(event("e\(i)")) }
    #expect(queue.count == 5)
    #expect((0..<5).map { _ in queue.next(timeout: 0)?.message } == ["e0", "e1", "e2", "e3", "e4"])
    #expect(queue.count == 0)
    #expect(queue.dropped == 0)
}

@Test func nextReturnsNilWhenNothingArrivesInTime() {
    let queue = EventQueue()
    #expect(queue.next(timeout: 0) == nil)
    #expect(queue.next(timeout: -1) == nil)
    #expect(queue.next(timeout: 0.05) == nil)
}

@Test func pastCapacityTheOldestGoAndAreCounted() {
    let queue = EventQueue(capacity: 3)
    for i in 1...5 { queue.push(event(String(i))) }
    #expect(queue.count == 3)
    #expect(queue.dropped == 2)
    #expect(queue.next(timeout: 0)?.message == "3")
    #expect(queue.next(timeout: 0)?.message == "4")
    #expect(queue.next(timeout: 0)?.message == "5")
    #expect(queue.next(timeout: 0) == nil)
    #expect(EventQueue(capacity: 0).capacity == 1)
    #expect(EventQueue().capacity == 10_000)
}

@Test func orderSurvivesCompaction() {
    let queue = EventQueue(capacity: 100_000)
    var expected = 0
    var pushed = 0
    for _ in 0..<4 {
        for _ in 0..<3_000 { queue.push(event(String(pushed))); pushed += 1 }
        for _ in 0..<2_500 {
            guard let next = queue.next(timeout: 0) else { Issue.record("queue ran dry"); return }
            #expect(next.message == String(expected))
            expected += 1
        }
    }
    #expect(queue.count == pushed - expected)
    while let next = queue.next(timeout: 0) {
        #expect(next.message == String(expected))
        expected += 1
    }
    #expect(expected == pushed)
}

@Test func aPushWakesAWaiterOnAnotherThread() {
    let queue = EventQueue()
    let started = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    let received = EventBox()
    DispatchQueue.global().async {
        started.signal()
        received.store(queue.next(timeout: 60))
        finished.signal()
    }
    #expect(started.wait(timeout: .now() + 10) == .success)
    queue.push(event("wake"))
    // Well before the waiter's own 60 s timeout.
    #expect(finished.wait(timeout: .now() + 30) == .success)
    #expect(received.load()?.message == "wake")
}

@Test func closeWakesAWaiterOnAnotherThread() {
    let queue = EventQueue()
    let started = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    let received = EventBox()
    received.store(event("not yet"))
    DispatchQueue.global().async {
        started.signal()
        received.store(queue.next(timeout: 60))
        finished.signal()
    }
    #expect(started.wait(timeout: .now() + 10) == .success)
    queue.close()
    #expect(finished.wait(timeout: .now() + 30) == .success)
    #expect(received.load() == nil)
}

@Test func closedQueueDrainsThenReturnsNilAtOnce() {
    let queue = EventQueue()
    queue.push(event("left"))
    queue.close()
    #expect(queue.next(timeout: 60)?.message == "left")
    #expect(queue.next(timeout: 60) == nil)  // would block a minute if close were ignored
    queue.reopen()
    queue.push(event("again"))
    #expect(queue.next(timeout: 0)?.message == "again")
    #expect(queue.next(timeout: 0.01) == nil)
}

/// The one event a helper thread received, handed back to the test.
private final class EventBox: @unchecked Sendable {
    private let lock = DispatchQueue(label: "EventBox")
    private var event: RuntimeEvent?
    func store(_ value: RuntimeEvent?) { lock.sync { event = value } }
    func load() -> RuntimeEvent? { lock.sync { event } }
}
