/// Validation of metric and label names, and the limits on caller-supplied text.
public enum MetricName {
    /// Label values and help texts above this are refused: a runaway string from the loop
    /// must not become a scrape that Prometheus rejects or a registry that eats memory.
    public static let maxTextBytes = 64 * 1024
    /// Names have no business being long; the limit keeps error messages and lookups cheap.
    public static let maxNameBytes = 1024

    public static func validateMetricName(_ name: String) throws(MetricsError) {
        guard isValid(name, allowColon: true), name.utf8.count <= maxNameBytes else {
            throw .invalidMetricName(name)
        }
    }

    public static func validateLabelName(_ name: String) throws(MetricsError) {
        guard isValid(name, allowColon: false), name.utf8.count <= maxNameBytes else {
            throw .invalidLabelName(name)
        }
        if name.hasPrefix("__") { throw .reservedLabelName(name) }
    }

    /// `what` is made only for the error: a label value is checked on every `labels()`,
    /// where formatting the message each time cost more than the check (callgrind).
    public static func validateText(_ text: String, what: @autoclosure () -> String) throws(MetricsError) {
        let bytes = text.utf8.count
        if bytes > maxTextBytes { throw .textTooLong(what: what(), bytes: bytes, limit: maxTextBytes) }
    }

    private static func isValid(_ name: String, allowColon: Bool) -> Bool {
        var first = true
        for byte in name.utf8 {
            let isLetter = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
            let isDigit = byte >= 0x30 && byte <= 0x39
            let isColon = allowColon && byte == 0x3A
            if !(isLetter || isColon || (!first && isDigit)) { return false }
            first = false
        }
        return !first
    }
}
