import FinMonCore
import Synchronization

/// The process-wide handle tables, one per kind of object the header names.
enum Handles {
    static let collectors = HandleTable<MetricsCollector>()
    static let metrics = HandleTable<MetricFamily>()
    static let series = HandleTable<Series>()
    static let runtimes = HandleTable<RuntimeHandle>()

    static func collector(_ pointer: OpaquePointer?) throws -> MetricsCollector {
        guard let pointer else { throw ABIError.null("the collector") }
        guard let object = collectors.get(raw(pointer)) else { throw ABIError.handle("the collector") }
        return object
    }

    static func runtime(_ pointer: OpaquePointer?) throws -> RuntimeHandle {
        guard let pointer else { throw ABIError.null("the runtime") }
        guard let object = runtimes.get(raw(pointer)) else { throw ABIError.handle("the runtime") }
        return object
    }

    /// Ends a stopped collector whose handle was removed: its event queue closes (a host
    /// waiting in finmon_events_next returns) and its families' handles are freed.
    static func release(_ collector: MetricsCollector) {
        collector.events.close()
        for family in collector.registry.sortedFamilies() { release(family) }
    }

    static func metric(_ pointer: OpaquePointer?) throws -> MetricFamily {
        guard let pointer else { throw ABIError.null("the metric") }
        guard let object = metrics.get(raw(pointer)) else { throw ABIError.handle("the metric") }
        return object
    }

    static func series(_ pointer: OpaquePointer?) throws -> Series {
        guard let pointer else { throw ABIError.null("the series") }
        guard let object = live(series.get(raw(pointer))) else {
            throw ABIError.handle("the series (it may have been removed)")
        }
        return object
    }

    /// nil for a series its family removed, whose handle is freed here: the library removes
    /// series itself (container cleanup) without the C side knowing, and a write through
    /// the old handle must not succeed into nothing. The host asks for the labels again and
    /// gets a live series (prometheus_client re-creates a removed child the same way).
    static func live(_ object: Series?) -> Series? {
        guard let object else { return nil }
        guard !object.isRemoved else {
            release(object)
            return nil
        }
        return object
    }

    /// The family's handle, issued once and kept on the family.
    static func handle(for family: MetricFamily) -> OpaquePointer? {
        pointer(token(family.hostToken) { metrics.insert(family) } release: { metrics.remove($0) })
    }

    static func handle(for one: Series) -> OpaquePointer? {
        pointer(token(one.hostToken) { series.insert(one) } release: { series.remove($0) })
    }

    /// Frees the handle a removed series had, so a loop creating and removing 100,000
    /// container series keeps a table of constant size.
    static func release(_ one: Series) {
        let token = one.hostToken.exchange(0, ordering: .acquiringAndReleasing)
        if token != 0 { series.remove(token) }
    }

    static func release(_ family: MetricFamily) {
        for one in family.sortedSeries() { release(one) }
        release(family.overflowSink)
        let token = family.hostToken.exchange(0, ordering: .acquiringAndReleasing)
        if token != 0 { metrics.remove(token) }
    }

    static func raw(_ pointer: OpaquePointer) -> UInt64 {
        UInt64(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(pointer))))
    }

    /// Never nil in practice: the slot part of a handle starts at 1.
    static func pointer(_ raw: UInt64) -> OpaquePointer? {
        OpaquePointer(bitPattern: UInt(raw))
    }

    private static func token(
        _ slot: borrowing Atomic<UInt64>, insert: () -> UInt64, release: (UInt64) -> Void
    ) -> UInt64 {
        let existing = slot.load(ordering: .acquiring)
        if existing != 0 { return existing }
        let fresh = insert()
        let (won, current) = slot.compareExchange(expected: 0, desired: fresh, ordering: .acquiringAndReleasing)
        if won { return fresh }
        release(fresh)
        return current
    }
}
