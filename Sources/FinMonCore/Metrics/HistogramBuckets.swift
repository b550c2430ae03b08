/// Bucket layouts, checked once at registration so observing never has to.
public enum HistogramBuckets {
    /// prometheus_client's defaults, so dashboards written for it keep working.
    public static let defaults: [Double] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]

    /// Sorted, finite, strictly increasing bounds with `+Inf` appended.
    public static func normalize(_ bounds: [Double]) throws(MetricsError) -> [Double] {
        var result = bounds
        if result.last == .infinity { result.removeLast() }
        guard !result.isEmpty else { throw .invalidBuckets("at least one finite bucket bound is needed") }
        guard result.count <= 1_000 else { throw .invalidBuckets("\(result.count) buckets; at most 1000") }
        for (i, bound) in result.enumerated() {
            guard bound.isFinite else { throw .invalidBuckets("bound \(bound) is not finite (only the last may be +Inf)") }
            if i > 0, bound <= result[i - 1] {
                throw .invalidBuckets("bounds must be strictly increasing: \(result[i - 1]) then \(bound)")
            }
        }
        result.append(.infinity)
        return result
    }
}
