/// The webhook's pending events, oldest first, sent one at a time in order.
///
/// Bounded: while the webhook is down, events past `capacity` push out the oldest one not
/// already on the wire. The alert log keeps every event regardless.
struct WebhookOutbox: Sendable, Equatable {
    let capacity: Int
    private(set) var pending: [AlertEvent] = []
    /// The head of `pending` is being sent.
    private(set) var headInFlight = false

    init(capacity: Int) {
        self.capacity = max(capacity, 2)
    }

    /// Returns how many events were dropped to make room (0 or 1).
    mutating func enqueue(_ event: AlertEvent) -> Int {
        var dropped = 0
        if pending.count >= capacity {
            pending.remove(at: headInFlight ? 1 : 0)
            dropped = 1
        }
        pending.append(event)
        return dropped
    }

    /// The next event to send, marked in flight; nil while one is in flight or none waits.
    mutating func takeNext() -> AlertEvent? {
        guard !headInFlight, let first = pending.first else { return nil }
        headInFlight = true
        return first
    }

    /// The event in flight reached the webhook (or was refused for good): it goes.
    mutating func removeInFlight() {
        guard headInFlight else { return }
        headInFlight = false
        pending.removeFirst()
    }

    /// The event in flight failed, or its answer will never be read: it stays first in line.
    mutating func releaseInFlight() {
        headInFlight = false
    }

    var hasWork: Bool { !headInFlight && !pending.isEmpty }
}
