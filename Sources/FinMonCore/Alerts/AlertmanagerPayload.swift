/// The body of `POST /api/v2/alerts`: a JSON array of postable alerts.
enum AlertmanagerPayload {
    /// `labels` are the static ones (`job`, `instance` and the config's extra labels, see
    /// `ScrapeTarget`); each alert adds `alertname` and `alert_type` (both the type's name)
    /// and `severity`: the label set Prometheus gives the same alert from the generated rules.
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
}
