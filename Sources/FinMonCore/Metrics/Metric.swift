/// A typed handle to one series: the only series of an unlabeled family (see
/// `init(_:)`), or one child of a `LabeledMetric`.
///
/// Its writes cannot fail: the kind was checked once, when the handle was made.
///
///     let staleness = try Metric<Gauge>(registry.register(.gauge, name: "champion_staleness_iterations", help: "..."))
///     staleness.set(12)
public struct Metric<Kind: MetricKind>: Sendable {
    /// The untyped series, as the C ABI and the exposition see it.
    public let series: Series

    init(series: Series) {
        self.series = series
    }

    /// The one series of `family`.
    /// - Throws: `MetricsError.wrongType` if the family is not of this kind,
    ///   `.labelMismatch` if it has labels.
    public init(_ family: MetricFamily) throws(MetricsError) {
        try Self.check(family)
        series = try family.labels([])
    }

    static func check(_ family: MetricFamily) throws(MetricsError) {
        guard family.type == Kind.type else {
            throw .wrongType(metric: family.name, type: family.type, operation: "a \(Kind.type) handle")
        }
    }

    /// The family's name.
    public var name: String { series.familyName }

    /// The counter or gauge value; for a histogram, its sample count.
    public var value: Double { series.value }
}

extension Metric where Kind == Counter {
    public func inc() {
        series.add(1)
    }

    /// Adds `count`; a count of 0 or less adds nothing (a counter only goes up).
    public func inc(by count: Int) {
        if count > 0 { series.add(Double(count)) }
    }

    /// Stores a total the library read itself (the kernel's CPU seconds, say): not an
    /// increment of ours, so it is stored as read.
    func store(_ total: Double) {
        series.store(total)
    }
}

extension Metric where Kind == Gauge {
    public func set(_ value: Double) {
        series.store(value)
    }

    public func inc(_ amount: Double = 1) {
        series.add(amount)
    }

    public func dec(_ amount: Double = 1) {
        series.add(-amount)
    }
}

extension Metric where Kind == Histogram {
    /// Counts `sample` into its bucket; returns false, recording nothing, for NaN.
    @discardableResult
    public func observe(_ sample: Double) -> Bool {
        series.record(sample)
    }

    /// Cumulative bucket counts, sum and count, read together.
    public func snapshot() -> HistogramSnapshot {
        series.histogramSnapshot()
    }
}
