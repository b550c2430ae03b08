import Glibc

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

    /// Checks the two targets before anything is written. Each file is a plain name,
    /// written inside `directory`, or an absolute path the caller chose; a relative path
    /// with a folder in it (`../x`, `sub/x`) is refused, so a name can never walk out of
    /// the export folder. Either target must be a regular file or not exist yet, and the
    /// two must differ (one would overwrite the other). `jsonArgument` and
    /// `prometheusArgument` are how errors name them (an argument or a config key).
    public func validate(
        jsonArgument: String = "json_file", prometheusArgument: String = "prometheus_file",
        reportArgument: String = "report_file"
    ) throws(FinalExportError) {
        var targets = [(jsonArgument, jsonFile, jsonPath), (prometheusArgument, prometheusFile, prometheusPath)]
        if let reportFile, let reportPath { targets.append((reportArgument, reportFile, reportPath)) }
        for (argument, name, _) in targets {
            try Self.checkName(name, argument: argument)
        }
        for later in targets.indices.dropFirst() {
            for earlier in 0..<later where Self.sameFile(targets[earlier].2, targets[later].2) {
                throw .invalid(argument: targets[later].0, reason: "names the same file as \(targets[earlier].0) "
                    + "(\(targets[later].2)); one would overwrite the other")
            }
        }
        for (argument, _, path) in targets {
            do {
                try AtomicFile.checkReplaceable(path)
            } catch {
                throw .invalid(argument: argument, reason: error.description)
            }
        }
    }

    /// Deletes the temporary files a killed export of an earlier process left next to the
    /// targets (`<target>.tmp.<pid>` of a pid no longer alive). Returns what it removed.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        AtomicFile.removeStaleTemporaries(of: jsonPath) + AtomicFile.removeStaleTemporaries(of: prometheusPath)
            + (reportPath.map(AtomicFile.removeStaleTemporaries(of:)) ?? [])
    }

    static func checkName(_ name: String, argument: String) throws(FinalExportError) {
        if name.isEmpty { throw .invalid(argument: argument, reason: "must not be empty") }
        if name.utf8.contains(0) { throw .invalid(argument: argument, reason: "contains a NUL character") }
        if name.hasPrefix("/") { return }
        if name.contains("/") || name == "." || name == ".." {
            throw .invalid(argument: argument, reason: "'\(name)' must be a file name inside the export folder "
                + "or an absolute path; a relative path with folders could leave the folder")
        }
    }

    /// The same path, or two names of one existing file (a hard link, `./x` and `x`).
    static func sameFile(_ first: String, _ second: String) -> Bool {
        if first == second { return true }
        var a = stat(), b = stat()
        guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Checks the targets (`validate`), then writes the files atomically.
    /// `activeAlerts` are JSON objects (AlertEvent.jsonLine()); `history` is
    /// `MetricsHistory.json()` (nil: no history, and no report).
    public func write(
        registry: MetricsRegistry, run: Run, activeAlerts: [String], history: String? = nil
    ) throws(FinalExportError) {
        try validate()
        registry.collect()
        let text = TextExposition.render(registry, format: .prometheusText, collectFirst: false)
        let json = Array(Self.json(registry: registry, run: run, activeAlerts: activeAlerts, history: history).utf8)
        do {
            try AtomicFile.write(json, to: jsonPath)
            try AtomicFile.write(text, to: prometheusPath)
            if history != nil, let reportPath {
                try AtomicFile.write(LivePage.report(finalJSON: json), to: reportPath)
            }
        } catch {
            throw .write(error)
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
                result.append(Sample(name: family.sampleName, labels: labels, value: series.value))
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
