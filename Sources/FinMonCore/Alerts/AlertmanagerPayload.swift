#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The body of `POST /api/v2/alerts`: a JSON array of postable alerts.
enum AlertmanagerPayload {
    /// `labels` are the static ones (`instance` and the config's extra labels); each alert
    /// adds `alertname` and `alert_type` (both the type's name, so the Prometheus rules and
    /// finmon's own alerts group alike) and `severity`.
    static func render(_ entries: [AlertmanagerOutbox.Entry], labels: [String: String]) -> String {
        JSONValue.array(entries.map { alert($0, labels: labels) }).rendered
    }

    static func alert(_ entry: AlertmanagerOutbox.Entry, labels: [String: String]) -> JSONValue {
        let event = entry.event
        var all = labels
        all["alertname"] = event.alertType.rawValue
        all["alert_type"] = event.alertType.rawValue
        all["severity"] = event.severity.rawValue
        var annotations: [(String, JSONValue)] = [
            ("summary", .string(event.alertType.summary)),
            ("description", .string(event.message)),
            ("current_value", .string(JSONValue.format(event.currentValue))),
            ("threshold_value", .string(JSONValue.format(event.thresholdValue))),
        ]
        if let iteration = event.iterationContext { annotations.append(("iteration", .string(String(iteration)))) }
        return .orderedObject([
            ("labels", .sortedObject(all.map { ($0.key, .string($0.value)) })),
            ("annotations", .sortedObject(annotations)),
            ("startsAt", .string(event.startsAt)),
            ("endsAt", .string(RFC3339Timestamp.format(epochSeconds: entry.endsAtEpochSeconds))),
        ])
    }

    /// The `instance` label unless the config sets one: the host name, as Prometheus'
    /// `instance` names where a series came from.
    static func defaultLabels(configured: [String: String]) -> [String: String] {
        var labels = configured
        if labels["instance"] == nil { labels["instance"] = hostName() }
        return labels
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = buffer.withUnsafeBufferPointer { pointer in
            pointer.baseAddress.flatMap { String(validatingCString: $0) }
        }
        guard let name, !name.isEmpty else { return "localhost" }
        return name
    }
}
