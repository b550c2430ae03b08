import CFinMon
import FinMonCore
import Synchronization

/// The process-wide handle tables, one per kind of object the header names.
enum Handles {
    static let collectors = HandleTable<MetricsCollector>(kind: .collector)
    static let metrics = HandleTable<MetricFamily>(kind: .metric)
    static let series = HandleTable<Series>(kind: .series)
    static let runtimes = HandleTable<RuntimeHandle>(kind: .runtime)

    static func collector(_ pointer: OpaquePointer?) throws -> MetricsCollector {
        try lookup(pointer, in: collectors, "the collector")
    }

    static func runtime(_ pointer: OpaquePointer?) throws -> RuntimeHandle {
        try lookup(pointer, in: runtimes, "the runtime")
    }

    static func metric(_ pointer: OpaquePointer?) throws -> MetricFamily {
        try lookup(pointer, in: metrics, "the metric")
    }

    static func series(_ pointer: OpaquePointer?) throws -> Series {
        guard let pointer else { throw ABIError.null("the series") }
        let handle = raw(pointer)
        if let object = live(series.get(handle)) { return object }
        throw wrongHandle(handle, in: series, "the series (it may have been removed)")
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

    /// The object behind a handle of the table's kind; a handle of another kind is named
    /// as such, so a caller who swapped two arguments reads what happened.
    static func lookup<Object>(_ pointer: OpaquePointer?, in table: HandleTable<Object>, _ what: String) throws -> Object {
        guard let pointer else { throw ABIError.null(what) }
        let handle = raw(pointer)
        if let object = table.get(handle) { return object }
        throw wrongHandle(handle, in: table, what)
    }

    static func wrongHandle<Object>(_ handle: UInt64, in table: HandleTable<Object>, _ what: String) -> ABIError {
        if let kind = HandleKind(of: handle), kind != table.kind {
            return ABIError(code: FINMON_E_INVALID_HANDLE,
                            message: "\(what) is a \(kind.typeName) handle, not a \(table.kind.typeName)")
        }
        return ABIError.handle(what)
    }

    /// A new handle for `object`, as the pointer C receives.
    static func issue<Object>(_ object: Object, in table: HandleTable<Object>) throws -> OpaquePointer? {
        guard let handle = table.insert(object) else { throw tooMany(table.kind) }
        return pointer(handle)
    }

    /// Ends a stopped collector whose handle was removed: its event queue closes (a host
    /// waiting in finmon_events_next returns) and its families' handles are freed.
    static func release(_ collector: MetricsCollector) {
        collector.events.close()
        for family in collector.registry.sortedFamilies() { release(family) }
    }

    /// The family's handle, issued once and kept on the family.
    static func handle(for family: MetricFamily) throws -> OpaquePointer? {
        pointer(try token(family.hostToken, kind: .metric) { metrics.insert(family) } release: { metrics.remove($0) })
    }

    static func handle(for one: Series) throws -> OpaquePointer? {
        pointer(try token(one.hostToken, kind: .series) { series.insert(one) } release: { series.remove($0) })
    }

    /// Frees the handle a removed series had, so a loop creating and removing 100,000
    /// container series keeps a table of constant size.
    static func release(_ one: Series) {
        let token = one.hostToken.exchange(0, ordering: .acquiringAndReleasing)
        if token != 0 { series.remove(token) }
    }

    /// The family's handles are freed (its collector freed, or the family unregistered):
    /// its series count as removed, so a host storing into a mapped cell
    /// (finmon_series_cell) sees the flag and then the freed handle, as a call would.
    static func release(_ family: MetricFamily) {
        for one in family.sortedSeries() {
            one.markRemoved()
            release(one)
        }
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

    private static func tooMany(_ kind: HandleKind) -> ABIError {
        ABIError(code: FINMON_E_STATE, message: "too many live \(kind.typeName) handles (2^28 - 1); free some first")
    }

    private static func token(
        _ slot: borrowing Atomic<UInt64>, kind: HandleKind, insert: () -> UInt64?, release: (UInt64) -> Void
    ) throws -> UInt64 {
        let existing = slot.load(ordering: .acquiring)
        if existing != 0 { return existing }
        guard let fresh = insert() else { throw tooMany(kind) }
        let (won, current) = slot.compareExchange(expected: 0, desired: fresh, ordering: .acquiringAndReleasing)
        if won { return fresh }
        release(fresh)
        return current
    }
}
