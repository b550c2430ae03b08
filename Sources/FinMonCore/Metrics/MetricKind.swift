/// The kind of a typed metric handle (`Metric<Gauge>`, `LabeledMetric<Counter>`, ...):
/// what a series can do is fixed when the handle is made from its family, so a write in
/// the core is checked by the compiler instead of refused at run time. The C ABI, whose
/// callers name a family at run time, keeps `Series`' checked calls (a gauge refuses
/// `observe` there with `MetricsError.wrongType`).
public protocol MetricKind: Sendable {
    static var type: MetricType { get }
}

/// Counts up from zero: `inc()`, `inc(by:)`.
public enum Counter: MetricKind {
    public static var type: MetricType { .counter }
}

/// Goes up and down: `set`, `inc`, `dec`.
public enum Gauge: MetricKind {
    public static var type: MetricType { .gauge }
}

/// Counts samples into buckets: `observe`.
public enum Histogram: MetricKind {
    public static var type: MetricType { .histogram }
}
