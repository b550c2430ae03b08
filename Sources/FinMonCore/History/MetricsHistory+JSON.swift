/// The history as JSON: what `GET /api/history` serves, and the `history` member of
/// metrics_final.json the report is drawn from.
///
/// ```json
/// {"now": 1700000100, "interval_seconds": 5, "first_sample": 1700000000,
///  "resolution": [{"step_seconds": 5, "points": 720}, ...],
///  "times": [1700000095, 1700000100],
///  "series": [{"name": "population_diversity", "labels": {}, "peak": 0.9, "values": [0.4, null]}, ...],
///  "alerts": {"active": [...], "timeline": [...], "fired": 2},
///  "champions": [{"time": ..., "iteration": 12, "sharpe": 1.4}],
///  "thresholds": {"monitoring.alerts.cpu_threshold_percent": 90, ...},
///  "dropped_series": 0}
/// ```
///
/// `times` merges the tiers, oldest first: whole-run points older than the minute tier,
/// minute points older than the full-resolution tier, then every sample. With `after`,
/// only points newer than that time (the page polls with its last point's time), and
/// series whose values there are all missing are left out. With `names`, only the series
/// of those names (the page asks for the ones it draws, not every series of the registry).
extension MetricsHistory {
    public func json(
        after: Double? = nil, names: Set<String>? = nil, now: Double = AlertTime.now().epochSeconds
    ) -> String {
        let active = AlertEvent.jsonArray(activeAlertsNow())
        let champions = champions.json()
        return state.withLock { state in
            let since = after ?? -.infinity
            let fineOldest = state.fine.oldestTime ?? .infinity
            let minuteOldest = min(state.minute.oldestTime ?? fineOldest, fineOldest)
            let parts = [
                state.run.points(after: since, before: minuteOldest),
                state.minute.points(after: since, before: fineOldest),
                state.fine.points(after: since),
            ]
            var out = "{\"now\": " + JSONText.number(now)
            out += ", \"interval_seconds\": " + JSONText.number(state.settings.intervalSeconds)
            out += ", \"first_sample\": " + (state.firstSample.map(JSONText.number) ?? "null")
            out += ", \"resolution\": ["
            out += [state.fine, state.minute, state.run].map {
                "{\"step_seconds\": " + JSONText.number($0.stepSeconds) + ", \"points\": " + String($0.capacity) + "}"
            }.joined(separator: ", ") + "]"
            out += ",\n\"times\": [" + parts.flatMap(\.times).map(JSONText.number).joined(separator: ",") + "]"
            out += ",\n\"series\": ["
            var first = true
            for (slot, key) in state.keys.enumerated() where names?.contains(key.name) ?? true {
                let values = parts.flatMap { $0.columns[slot] }
                if after != nil, values.allSatisfy(\.isNaN) { continue }
                out += first ? "\n" : ",\n"
                first = false
                out += "{\"name\": " + JSONText.quoted(key.name) + ", \"labels\": {"
                out += key.labels.map { JSONText.quoted($0.0) + ": " + JSONText.quoted($0.1) }.joined(separator: ", ")
                out += "}, \"peak\": " + JSONText.number(state.peaks[slot])
                out += ", \"values\": [" + values.map(JSONText.number).joined(separator: ",") + "]}"
            }
            out += "]"
            out += ",\n\"alerts\": {\"active\": " + active + ", \"timeline\": " + state.alerts.json()
            out += ", \"fired\": " + String(state.alerts.fired) + "}"
            out += ",\n\"champions\": " + champions
            out += ",\n\"thresholds\": {" + state.settings.thresholds.sorted { $0.key < $1.key }.map {
                JSONText.quoted($0.key) + ": " + JSONText.number($0.value)
            }.joined(separator: ", ") + "}"
            out += ", \"dropped_series\": " + String(state.droppedSeries) + "}"
            return out
        }
    }
}
