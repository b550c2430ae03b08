/// The three Prometheus types finmon exposes. Summaries are left out on purpose:
/// their quantiles cannot be aggregated across scrapes, and histograms serve the same use.
public enum MetricType: Int32, Sendable, CustomStringConvertible {
    case counter = 0
    case gauge = 1
    case histogram = 2

    public var description: String {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        }
    }
}
