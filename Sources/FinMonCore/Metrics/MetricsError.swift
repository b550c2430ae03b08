/// Every way a caller can misuse the registry. Each case becomes a status code and a
/// message at the C ABI, and a Python exception in the shim; none of them traps.
public enum MetricsError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidMetricName(String)
    case invalidLabelName(String)
    case reservedLabelName(String)
    case duplicateLabelName(String)
    case textTooLong(what: String, bytes: Int, limit: Int)
    case conflictingRegistration(name: String, reason: String)
    case unknownMetric(String)
    case labelMismatch(metric: String, expected: [String], got: [String])
    case invalidBuckets(String)
    case invalidValue(metric: String, reason: String)
    case wrongType(metric: String, type: MetricType, operation: String)

    public var description: String {
        switch self {
        case .invalidMetricName(let name):
            "invalid metric name \(Self.quote(name)): must match [a-zA-Z_:][a-zA-Z0-9_:]*"
        case .invalidLabelName(let name):
            "invalid label name \(Self.quote(name)): must match [a-zA-Z_][a-zA-Z0-9_]*"
        case .reservedLabelName(let name):
            "label name \(Self.quote(name)) is reserved (names starting with __, and 'le' on histograms)"
        case .duplicateLabelName(let name):
            "label name \(Self.quote(name)) appears twice"
        case .textTooLong(let what, let bytes, let limit):
            "\(what) is \(bytes) bytes long; the limit is \(limit)"
        case .conflictingRegistration(let name, let reason):
            "metric \(Self.quote(name)) is already registered \(reason)"
        case .unknownMetric(let name):
            "no metric named \(Self.quote(name)) is registered"
        case .labelMismatch(let metric, let expected, let got):
            "metric \(Self.quote(metric)) takes labels \(expected), got \(got)"
        case .invalidBuckets(let reason):
            "invalid histogram buckets: \(reason)"
        case .invalidValue(let metric, let reason):
            "\(Self.quote(metric)): \(reason)"
        case .wrongType(let metric, let type, let operation):
            "\(Self.quote(metric)) is a \(type); \(operation) is not defined for it"
        }
    }

    /// Names in messages are cut short so a megabyte of garbage does not become a megabyte of error.
    static func quote(_ text: String) -> String {
        let limit = 80
        let bytes = text.utf8.count
        if bytes <= limit { return "'\(text)'" }
        // Cut by bytes on a scalar boundary: one Character can hold any number of combining marks.
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            used += UTF8.width(scalar)
            if used > limit { break }
            kept.append(scalar)
        }
        return "'\(String(kept))...' (\(bytes) bytes)"
    }
}
