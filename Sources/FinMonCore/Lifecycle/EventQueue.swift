import Glibc

/// A bounded queue of runtime events that a host thread can block on with a timeout.
///
/// Bounded because nobody may be draining it: past `capacity` the oldest events go and
/// are counted, so an unattended loop never grows its memory through its own log.
public final class EventQueue: @unchecked Sendable {
    public let capacity: Int
    // pthread primitives live at a fixed address: Swift may move a stored struct.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var events: [RuntimeEvent] = []
    private var head = 0
    private var closed = false
    private var droppedCount: UInt64 = 0

    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    public var dropped: UInt64 { locked { droppedCount } }
    public var count: Int { locked { events.count - head } }

    public func push(_ event: RuntimeEvent) {
        locked {
            if events.count - head >= capacity {
                head += 1
                droppedCount &+= 1
            }
            events.append(event)
            compactIfNeeded()
        }
        pthread_cond_signal(condition)
    }

    /// The next event, waiting up to `timeout` seconds; nil on timeout or once closed and empty.
    public func next(timeout: Double) -> RuntimeEvent? {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let wait = timeout.isFinite ? min(max(timeout, 0), 86_400) : 86_400
        let whole = Int(wait)
        deadline.tv_sec += whole
        deadline.tv_nsec += Int((wait - Double(whole)) * 1e9)
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == events.count && !closed {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        guard head < events.count else { return nil }
        let event = events[head]
        head += 1
        compactIfNeeded()
        return event
    }

    /// Wakes every waiter; later `next` calls return what is left, then nil at once.
    public func close() {
        locked { closed = true }
        pthread_cond_broadcast(condition)
    }

    func reopen() {
        locked { closed = false }
    }

    private func compactIfNeeded() {
        if head > 1024, head * 2 > events.count {
            events.removeFirst(head)
            head = 0
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
