/// A typed handle to a family with labels: its children are `Metric<Kind>` handles, so
/// writing to one cannot fail for a type reason.
///
///     let memory = try LabeledMetric<Gauge>(registry.register(
///         .gauge, name: "container_memory_usage_bytes", help: "...", labelNames: ["container_id"]))
///     try memory.labels(["abc"]).set(1e6)
public struct LabeledMetric<Kind: MetricKind>: Sendable {
    public let family: MetricFamily

    /// - Throws: `MetricsError.wrongType` if the family is not of this kind,
    ///   `.labelMismatch` if it has no labels (use `Metric` for those).
    public init(_ family: MetricFamily) throws(MetricsError) {
        try Metric<Kind>.check(family)
        guard !family.labelNames.isEmpty else {
            throw .labelMismatch(metric: family.name, expected: [], got: ["a labeled family"])
        }
        self.family = family
    }

    public var name: String { family.name }

    public var seriesCount: Int { family.seriesCount }

    /// The child for these label values (in `labelNames` order), created on first use.
    /// - Throws: `MetricsError` for a wrong count of values or a value that is not valid text.
    public func labels(_ values: [String]) throws(MetricsError) -> Metric<Kind> {
        Metric(series: try family.labels(values))
    }

    /// The child for label values the core made itself and knows valid (an alert type's
    /// name, a checked container id). Should the family still refuse them, the write goes
    /// to its detached sink (as past the series limit): it reaches no scrape, and fails nothing.
    func child(_ values: [String]) -> Metric<Kind> {
        do {
            return try labels(values)
        } catch {
            return Metric(series: family.overflowSink)
        }
    }

    /// The child for these values if it exists, without creating it.
    public func existing(_ values: [String]) -> Metric<Kind>? {
        family.existingSeries(values).map { Metric(series: $0) }
    }

    /// Removes the child for these values, if there is one.
    func remove(_ values: [String]) {
        family.removeIfPresent(values)
    }
}
