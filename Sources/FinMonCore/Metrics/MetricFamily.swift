import Synchronization

/// A named metric and all its series.
///
/// Series are kept in a hash table keyed by their packed label values (`LabelKey`, in the
/// family's label-name order; `SeriesTable`), so insert, lookup and removal are O(1); the sorted order the exposition needs is cached
/// and rebuilt only after the set of series changed.
public final class MetricFamily: Sendable {
    public let name: String
    public let help: String
    public let type: MetricType
    public let labelNames: [String]
    /// Histogram bounds with `+Inf` last; empty for counters and gauges.
    public let upperBounds: [Double]
    public let maxSeries: Int

    private struct State {
        var series = SeriesTable()
        var sorted: [Series]? = []
    }

    private let state = Mutex(State())
    /// What its series share (name, label count, bounds): one object, not a copy per series.
    private let shape: SeriesShape
    /// The one detached series handed out for every label set past the limit, so callers
    /// that keep asking for new series do not allocate for each.
    public let overflowSink: Series
    /// The name its counter or gauge samples carry: a counter's ends in `_total` (a counter
    /// registered as `jobs` is exposed as `jobs_total`, as prometheus_client does), any
    /// other family's is its name.
    public let sampleName: String
    public static let counterSuffix = "_total"
    /// Every name the exposition uses for it: the family and sample names of both formats.
    var exposedNames: Set<String> {
        var names: Set<String> = [name, sampleName]
        if type == .counter { names.insert(String(sampleName.dropLast(Self.counterSuffix.count))) }
        return names
    }
    /// The C ABI's handle for this family (see Series.hostToken).
    public let hostToken = Atomic<UInt64>(0)
    private let onDrop: @Sendable (String) -> Void
    /// The multiprocess run this family's series write to (nil: none).
    let link: WorkerLink?

    init(
        name: String, help: String, type: MetricType, labelNames: [String], upperBounds: [Double],
        maxSeries: Int, link: WorkerLink? = nil, onDrop: @escaping @Sendable (String) -> Void
    ) {
        self.link = link
        self.name = name
        self.sampleName = type == .counter && !name.hasSuffix(Self.counterSuffix) ? name + Self.counterSuffix : name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.upperBounds = upperBounds
        self.maxSeries = maxSeries
        self.onDrop = onDrop
        let shape = SeriesShape(familyName: name, labelNames: labelNames, upperBounds: upperBounds)
        self.shape = shape
        self.overflowSink = Series(shape: shape, type: type, labelNames: labelNames,
                                   labelKey: LabelKey(labelNames.map { _ in "" }))
        overflowSink.detach()
        if labelNames.isEmpty {
            let only = Series(shape: shape, type: type, labelNames: labelNames, labelKey: LabelKey([]),
                              help: help, link: link)
            state.withLock { $0.series.insert(only); $0.sorted = [only] }
        }
    }

    /// The series for these label values, given in `labelNames` order; created on first use.
    ///
    /// Past `maxSeries` the new series is not stored: the caller gets a detached series (its
    /// writes succeed and go nowhere) and `finmon_dropped_series_total` counts it, because a
    /// label with unbounded values must not grow the process without bound.
    public func labels(_ values: [String]) throws(MetricsError) -> Series {
        guard values.count == labelNames.count else {
            throw .labelMismatch(metric: name, expected: labelNames, got: values.count == 0 ? [] : ["\(values.count) values"])
        }
        for value in values { try MetricName.validateText(value, what: "a label value of '\(name)'") }
        return labels(key: LabelKey(values))
    }

    /// The series for a key of this family's label count whose values were checked
    /// (`MetricName.validateText`); created on first use, as `labels(_:)`.
    public func labels(key: LabelKey) -> Series {
        let (series, dropped) = state.withLock { state -> (Series, Bool) in
            if let existing = key.withUnsafeBytes({ state.series.find($0) }) { return (existing, false) }
            guard state.series.count < maxSeries else { return (overflowSink, true) }
            let created = Series(shape: shape, type: type, labelNames: labelNames, labelKey: key,
                                 help: help, link: link)
            state.series.insert(created)
            state.sorted = nil
            return (created, false)
        }
        if dropped { onDrop(name) }
        return series
    }

    /// The series for labels given by name, in any order.
    public func labels(named: [String: String]) throws(MetricsError) -> Series {
        try labels(orderedValues(named))
    }

    /// Removes one series; returns it, or nil if there was none.
    @discardableResult
    public func remove(_ values: [String]) throws(MetricsError) -> Series? {
        guard !labelNames.isEmpty else {
            throw .invalidValue(metric: name, reason: "a metric without labels has no series to remove")
        }
        guard values.count == labelNames.count else {
            throw .labelMismatch(metric: name, expected: labelNames, got: ["\(values.count) values"])
        }
        return removeIfPresent(LabelKey(values))
    }

    /// Removes the series stored under `series`' label values, if any: the one given, or
    /// one another thread created for the same values after it was removed. What
    /// `remove(series.labelValues)` does, without decoding and re-encoding the values.
    @discardableResult
    public func remove(labelsOf series: Series) throws(MetricsError) -> Series? {
        guard !labelNames.isEmpty else {
            throw .invalidValue(metric: name, reason: "a metric without labels has no series to remove")
        }
        return series.withKeyBytes { removeIfPresent(keyBytes: $0) }
    }

    /// Removes the series of a key of this family's label count; the same checks as
    /// `remove(_:)` on an unlabeled family.
    @discardableResult
    public func remove(key: LabelKey) throws(MetricsError) -> Series? {
        guard !labelNames.isEmpty else {
            throw .invalidValue(metric: name, reason: "a metric without labels has no series to remove")
        }
        return removeIfPresent(key)
    }

    /// `remove` without the checks (a wrong count of values finds nothing). For labeled
    /// families only: on an unlabeled one, `[]` would remove its one series.
    @discardableResult
    func removeIfPresent(_ values: [String]) -> Series? {
        removeIfPresent(LabelKey(values))
    }

    @discardableResult
    func removeIfPresent(_ key: LabelKey) -> Series? {
        key.withUnsafeBytes { removeIfPresent(keyBytes: $0) }
    }

    private func removeIfPresent(keyBytes: UnsafeRawBufferPointer) -> Series? {
        let removed = state.withLock { state -> Series? in
            guard let removed = state.series.remove(keyBytes) else { return nil }
            state.sorted = nil
            return removed
        }
        removed?.markRemoved()
        return removed
    }

    @discardableResult
    public func remove(named: [String: String]) throws(MetricsError) -> Series? {
        try remove(orderedValues(named))
    }

    /// Removes every labeled series and returns them; a family without labels keeps its one
    /// series (handles to it stay valid) and only has its value reset.
    @discardableResult
    public func clear() -> [Series] {
        if labelNames.isEmpty {
            state.withLock { state in [UInt8]().withUnsafeBytes { state.series.find($0) } }?.reset()
            return []
        }
        let old = state.withLock { state -> [Series] in
            let all = state.series.all
            state.series.removeAll()
            state.sorted = []
            return all
        }
        for series in old { series.markRemoved() }
        return old
    }

    public var seriesCount: Int { state.withLock { $0.series.count } }

    /// The series ordered by label values, for a stable exposition.
    public func sortedSeries() -> [Series] {
        state.withLock { state in
            if let sorted = state.sorted { return sorted }
            let sorted = state.series.all
                .map { (key: $0.sortKey(), series: $0) }
                .sorted { $0.key.lexicographicallyPrecedes($1.key) }
                .map(\.series)
            state.sorted = sorted
            return sorted
        }
    }

    public func existingSeries(_ values: [String]) -> Series? {
        let key = LabelKey(values)
        return state.withLock { state in key.withUnsafeBytes { state.series.find($0) } }
    }

    public func orderedValues(_ named: [String: String]) throws(MetricsError) -> [String] {
        guard named.count == labelNames.count else {
            throw .labelMismatch(metric: name, expected: labelNames, got: named.keys.sorted())
        }
        var values: [String] = []
        values.reserveCapacity(labelNames.count)
        for labelName in labelNames {
            guard let value = named[labelName] else {
                throw .labelMismatch(metric: name, expected: labelNames, got: named.keys.sorted())
            }
            values.append(value)
        }
        return values
    }
}
