import Synchronization

/// The set of metric families one collector exposes.
///
/// Registration is idempotent for an identical definition (a hook module imported twice
/// must not fail) and an error for a conflicting one. Values can be read back, which the
/// alert rules, the JSON export and the tests rely on.
public final class MetricsRegistry: Sendable {
    public static let defaultMaxSeriesPerFamily = 10_000
    public static let droppedSeriesName = "finmon_dropped_series_total"

    public let maxSeriesPerFamily: Int
    private struct State {
        var families: [String: MetricFamily] = [:]
        var sorted: [MetricFamily]? = []
    }
    private let state = Mutex(State())
    /// Collectors run just before every exposition, to refresh values read on demand.
    private let collectors = Mutex<[@Sendable () -> Void]>([])
    private let droppedFamily = Mutex<LabeledMetric<Counter>?>(nil)
    private let attached = Mutex<AttachedExposition?>(nil)

    /// The multiprocess run this registry's series write to (nil: this process only).
    public let multiprocess: WorkerLink?

    public init(maxSeriesPerFamily: Int = MetricsRegistry.defaultMaxSeriesPerFamily, multiprocess: WorkerLink? = nil) {
        self.maxSeriesPerFamily = max(1, maxSeriesPerFamily)
        self.multiprocess = multiprocess
        // Cannot fail: a fixed, valid definition in an empty registry.
        let dropped = try? LabeledMetric<Counter>(register(
            .counter, name: Self.droppedSeriesName,
            help: "Series not created because their family reached its series limit.",
            labelNames: ["family"]))
        droppedFamily.withLock { $0 = dropped }
        if let multiprocess {
            // Before every exposition: exited workers folded, every process's values merged.
            addCollector { [weak self] in
                if let self { multiprocess.merge(into: self) }
            }
        }
    }

    @discardableResult
    public func register(
        _ type: MetricType, name: String, help: String, labelNames: [String] = [],
        buckets: [Double]? = nil, maxSeries: Int? = nil
    ) throws(MetricsError) -> MetricFamily {
        try MetricName.validateMetricName(name)
        try MetricName.validateText(help, what: "the help text of '\(name)'")
        var seen = Set<String>()
        for label in labelNames {
            try MetricName.validateLabelName(label)
            if type == .histogram, label == "le" { throw .reservedLabelName(label) }
            guard seen.insert(label).inserted else { throw .duplicateLabelName(label) }
        }
        let bounds: [Double]
        if type == .histogram {
            bounds = try HistogramBuckets.normalize(buckets ?? HistogramBuckets.defaults)
        } else {
            guard buckets == nil else { throw .invalidBuckets("only histograms take buckets") }
            bounds = []
        }
        let limit = max(1, maxSeries ?? maxSeriesPerFamily)
        let candidate = MetricFamily(
            name: name, help: help, type: type, labelNames: labelNames, upperBounds: bounds,
            maxSeries: limit, link: multiprocess, onDrop: { [weak self] family in self?.countDrop(of: family) })
        return try state.withLock { state throws(MetricsError) -> MetricFamily in
            // `jobs` (a counter) and `jobs_total` would expose the same samples.
            for other in Self.namesSharingSamples(with: name, type) {
                if let existing = state.families[other], !existing.exposedNames.isDisjoint(with: candidate.exposedNames) {
                    throw .conflictingRegistration(
                        name: name, reason: "as \(existing.type) '\(existing.name)', whose samples are \(existing.sampleName)")
                }
            }
            if let existing = state.families[name] {
                guard existing.type == type else {
                    throw .conflictingRegistration(name: name, reason: "as a \(existing.type)")
                }
                guard existing.labelNames == labelNames else {
                    throw .conflictingRegistration(name: name, reason: "with labels \(existing.labelNames)")
                }
                guard existing.upperBounds == bounds else {
                    throw .conflictingRegistration(name: name, reason: "with other buckets")
                }
                return existing
            }
            state.families[name] = candidate
            state.sorted = nil
            return candidate
        }
    }

    private static func namesSharingSamples(with name: String, _ type: MetricType) -> [String] {
        let suffix = MetricFamily.counterSuffix
        return name.hasSuffix(suffix) ? [String(name.dropLast(suffix.count))] : [name + suffix]
    }

    public func family(named name: String) -> MetricFamily? {
        state.withLock { $0.families[name] }
    }

    @discardableResult
    public func unregister(_ name: String) -> Bool {
        state.withLock { state in
            guard state.families.removeValue(forKey: name) != nil else { return false }
            state.sorted = nil
            return true
        }
    }

    /// Families ordered by name, as the exposition lists them.
    public func sortedFamilies() -> [MetricFamily] {
        state.withLock { state in
            if let sorted = state.sorted { return sorted }
            let sorted = state.families.values.sorted { $0.name < $1.name }
            state.sorted = sorted
            return sorted
        }
    }

    deinit {
        // The merge's cache holds series that hold the link: let both go, and take the
        // run's segment name with this (the parent's) registry.
        multiprocess?.releaseAfterRegistry()
    }

    public func addCollector(_ collect: @escaping @Sendable () -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    /// Text of another metrics library for the exporter to serve after these families
    /// (nil: none); replaces the previous one.
    public func attach(_ exposition: AttachedExposition?) {
        attached.withLock { $0 = exposition }
    }

    public var attachedExposition: AttachedExposition? { attached.withLock { $0 } }

    /// Runs the on-demand collectors; the exposition and the JSON export call it first.
    public func collect() {
        let all = collectors.withLock { $0 }
        for collect in all { collect() }
    }

    /// A sample's value the way prometheus_client's `get_sample_value` finds it: by sample
    /// name (`x`, or `x_bucket`/`x_sum`/`x_count` of a histogram) and labels by name.
    public func sampleValue(name: String, labels: [String: String] = [:]) -> Double? {
        let suffix = MetricFamily.counterSuffix
        let candidates = [family(named: name), name.hasSuffix(suffix) ? family(named: String(name.dropLast(suffix.count))) : nil]
        if let family = candidates.compactMap({ $0 }).first(where: { $0.type != .histogram && $0.sampleName == name }) {
            if family.type == .gauge, !family.labelNames.contains("worker"), let worker = labels["worker"] {
                // A multiprocess parent's `worker`-mode gauge: one live process's value.
                var own = labels
                own.removeValue(forKey: "worker")
                guard let values = try? family.orderedValues(own) else { return nil }
                return family.existingSeries(values)?.workerReadings?.first { $0.worker == worker }?.value
            }
            guard let values = try? family.orderedValues(labels) else { return nil }
            return family.existingSeries(values)?.value
        }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            guard let family = family(named: base), family.type == .histogram else { continue }
            var labels = labels
            let le = labels.removeValue(forKey: "le")
            guard let values = try? family.orderedValues(labels), let series = family.existingSeries(values) else {
                return nil
            }
            let snapshot = series.histogramSnapshot()
            switch suffix {
            case "_sum": return le == nil ? snapshot.sum : nil
            case "_count": return le == nil ? Double(snapshot.count) : nil
            default:
                guard let le else { return nil }
                for (bound, count) in zip(snapshot.upperBounds, snapshot.cumulativeCounts)
                where SampleFormatter.format(bound) == le || Double(le) == bound {
                    return Double(count)
                }
                return nil
            }
        }
        return nil
    }

    private func countDrop(of family: String) {
        guard family != Self.droppedSeriesName, let dropped = droppedFamily.withLock({ $0 }) else { return }
        // A registered family's name is a valid label value.
        dropped.child([family]).inc()
    }
}
