/// The record a run leaves behind: `metrics_final.json` (every family with its samples,
/// the active alerts, run start and end, the iteration count, and the run's bounded
/// history), the Prometheus text snapshot, both from one collection so they agree with
/// each other, and `report.html`, the live page's panels over the whole run drawn from
/// that JSON (self-contained; `python -m finmon report metrics_final.json` rebuilds it).
public struct FinalExport: Sendable {
    public struct Run: Sendable, Equatable {
        public var startedAtEpochSeconds: Double
        public var endedAtEpochSeconds: Double
        public var iterations: Int?
        public init(startedAtEpochSeconds: Double, endedAtEpochSeconds: Double, iterations: Int?) {
            self.startedAtEpochSeconds = startedAtEpochSeconds
            self.endedAtEpochSeconds = endedAtEpochSeconds
            self.iterations = iterations
        }
    }

    public var directory: String
    public var jsonFile: String
    public var prometheusFile: String
    /// The report's file name; nil writes none.
    public var reportFile: String?

    public init(directory: String = ".", jsonFile: String = "metrics_final.json",
                prometheusFile: String = "prometheus_metrics_final.txt", reportFile: String? = "report.html") {
        self.directory = directory
        self.jsonFile = jsonFile
        self.prometheusFile = prometheusFile
        self.reportFile = reportFile
    }

    public var jsonPath: String { Self.join(directory, jsonFile) }
    public var prometheusPath: String { Self.join(directory, prometheusFile) }
    public var reportPath: String? { reportFile.map { Self.join(directory, $0) } }

    /// Writes the files atomically. `activeAlerts` are JSON objects (AlertEvent.jsonLine());
    /// `history` is `MetricsHistory.json()` (nil: no history, and no report).
    public func write(
        registry: MetricsRegistry, run: Run, activeAlerts: [String], history: String? = nil
    ) throws(AtomicFile.WriteError) {
        registry.collect()
        let text = TextExposition.render(registry, format: .prometheusText, collectFirst: false)
        let json = Array(Self.json(registry: registry, run: run, activeAlerts: activeAlerts, history: history).utf8)
        try AtomicFile.write(json, to: jsonPath)
        try AtomicFile.write(text, to: prometheusPath)
        if history != nil, let reportPath {
            try AtomicFile.write(LivePage.report(finalJSON: json), to: reportPath)
        }
    }

    /// The JSON document. Non-finite values, which JSON cannot hold, are the strings
    /// "NaN", "+Inf" and "-Inf", spelled as in the text snapshot.
    public static func json(registry: MetricsRegistry, run: Run, activeAlerts: [String], history: String? = nil) -> String {
        var out = "{\n  \"finmon_version\": " + JSONText.quoted(FinMonVersion.string)
        out += ",\n  \"run\": {\"started_at\": " + JSONText.quoted(RFC3339Timestamp.format(epochSeconds: run.startedAtEpochSeconds))
        out += ", \"ended_at\": " + JSONText.quoted(RFC3339Timestamp.format(epochSeconds: run.endedAtEpochSeconds))
        out += ", \"duration_seconds\": " + JSONText.number(max(0, run.endedAtEpochSeconds - run.startedAtEpochSeconds))
        out += ", \"iterations\": " + (run.iterations.map(String.init) ?? "null") + "}"
        out += ",\n  \"active_alerts\": [" + activeAlerts.joined(separator: ", ") + "]"
        out += ",\n  \"metrics\": ["
        var firstFamily = true
        for family in registry.sortedFamilies() {
            out += firstFamily ? "\n    " : ",\n    "
            firstFamily = false
            out += "{\"name\": " + JSONText.quoted(family.name) + ", \"type\": " + JSONText.quoted(family.type.description)
            out += ", \"help\": " + JSONText.quoted(family.help) + ", \"samples\": ["
            var firstSample = true
            for sample in samples(of: family) {
                out += firstSample ? "" : ", "
                firstSample = false
                out += "{\"name\": " + JSONText.quoted(sample.name) + ", \"labels\": {"
                out += sample.labels.map { JSONText.quoted($0.0) + ": " + JSONText.quoted($0.1) }.joined(separator: ", ")
                out += "}, \"value\": " + (sample.value.isFinite ? sample.value.description : JSONText.quoted(SampleFormatter.format(sample.value))) + "}"
            }
            out += "]}"
        }
        out += "\n  ]"
        if let history { out += ",\n  \"history\": " + history }
        out += "\n}\n"
        return out
    }

    struct Sample {
        let name: String
        let labels: [(String, String)]
        let value: Double
    }

    static func samples(of family: MetricFamily) -> [Sample] {
        var result: [Sample] = []
        for series in family.sortedSeries() {
            let labels = Array(zip(family.labelNames, series.labelValues))
            switch family.type {
            case .counter, .gauge:
                result.append(Sample(name: family.name, labels: labels, value: series.value))
            case .histogram:
                let snapshot = series.histogramSnapshot()
                for (bound, count) in zip(snapshot.upperBounds, snapshot.cumulativeCounts) {
                    result.append(Sample(name: family.name + "_bucket", labels: labels + [("le", SampleFormatter.format(bound))], value: Double(count)))
                }
                result.append(Sample(name: family.name + "_count", labels: labels, value: Double(snapshot.count)))
                result.append(Sample(name: family.name + "_sum", labels: labels, value: snapshot.sum))
            }
        }
        return result
    }

    static func join(_ directory: String, _ file: String) -> String {
        if file.hasPrefix("/") || directory.isEmpty { return file }
        return directory.hasSuffix("/") ? directory + file : directory + "/" + file
    }
}
