import Glibc
import Testing
@testable import FinMonCore

@Suite struct FinalExportTests {
    @Test func jsonListsEveryFamilyWithItsSamplesAndTheRun() throws {
        let registry = MetricsRegistry()
        let gauge = try registry.register(.gauge, name: "g", help: "A gauge.", labelNames: ["id"])
        try gauge.labels(["a\"b"]).set(.infinity)
        let histogram = try registry.register(.histogram, name: "h_seconds", help: "H.", buckets: [1])
        try histogram.labels([]).observe(0.5)
        let json = FinalExport.json(
            registry: registry, run: .init(startedAtEpochSeconds: 0, endedAtEpochSeconds: 90, iterations: 3),
            activeAlerts: ["{\"alert_type\":\"high_cpu\"}"])
        #expect(json.contains("\"run\": {\"started_at\": \"1970-01-01T00:00:00.000Z\", \"ended_at\": \"1970-01-01T00:01:30.000Z\", \"duration_seconds\": 90.0, \"iterations\": 3}"))
        #expect(json.contains("\"active_alerts\": [{\"alert_type\":\"high_cpu\"}]"))
        #expect(json.contains("{\"name\": \"g\", \"labels\": {\"id\": \"a\\\"b\"}, \"value\": \"+Inf\"}"))
        #expect(json.contains("{\"name\": \"h_seconds_bucket\", \"labels\": {\"le\": \"1.0\"}, \"value\": 1.0}"))
        #expect(json.contains("{\"name\": \"h_seconds_bucket\", \"labels\": {\"le\": \"+Inf\"}, \"value\": 1.0}"))
        #expect(json.contains("{\"name\": \"h_seconds_count\", \"labels\": {}, \"value\": 1.0}"))
        #expect(json.contains("\"name\": \"finmon_dropped_series_total\", \"type\": \"counter\""))
    }

    @Test func pathsJoinTheFolderUnlessTheFileIsAbsolute() {
        #expect(FinalExport(directory: "out").jsonPath == "out/metrics_final.json")
        #expect(FinalExport(directory: "out/", prometheusFile: "p.txt").prometheusPath == "out/p.txt")
        #expect(FinalExport(directory: "out", jsonFile: "/abs/m.json").jsonPath == "/abs/m.json")
        #expect(FinalExport(directory: "").jsonPath == "metrics_final.json")
    }

    @Test func aMissingIterationCountIsNull() {
        let json = FinalExport.json(registry: MetricsRegistry(), run: .init(startedAtEpochSeconds: 5, endedAtEpochSeconds: 1, iterations: nil), activeAlerts: [])
        #expect(json.contains("\"duration_seconds\": 0.0, \"iterations\": null}"))
    }

    @Test func namesThatWouldLeaveTheFolderAreRefusedWithTheirArgument() {
        for name in ["../x.json", "sub/x.json", ".", "..", ""] {
            #expect(throws: FinalExportError.self) {
                try FinalExport(directory: "out", jsonFile: name).validate(jsonArgument: "monitoring.export.final_metrics_path")
            }
            do {
                try FinalExport(directory: "out", prometheusFile: name).validate()
            } catch {
                guard case .invalid(let argument, _) = error else { Issue.record("\(error)"); continue }
                #expect(argument == "prometheus_file")
            }
        }
        #expect(throws: Never.self) { try FinalExport(directory: "/nonexistent-finmon", jsonFile: "/nonexistent-finmon/a").validate() }
    }

    @Test func targetsThatAreNotRegularFilesOrTheSameFileAreRefused() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        #expect(mkfifo(dir.path + "/fifo", 0o600) == 0)
        #expect(symlink("/dev/null", dir.path + "/null") == 0)
        for name in ["fifo", "null", "/dev/null"] {
            #expect(throws: FinalExportError.self) { try FinalExport(directory: dir.path, jsonFile: name).validate() }
        }
        #expect(throws: FinalExportError.invalid(argument: "prometheus_file", reason:
            "names the same file as json_file (\(dir.path)/same); one would overwrite the other")) {
            try FinalExport(directory: dir.path, jsonFile: "same", prometheusFile: "same").validate()
        }
        // The write itself re-checks, and a refused write leaves the FIFO as it was.
        let export = FinalExport(directory: dir.path, jsonFile: "fifo")
        #expect(throws: FinalExportError.self) {
            try export.write(registry: MetricsRegistry(), run: .init(startedAtEpochSeconds: 0, endedAtEpochSeconds: 1, iterations: nil), activeAlerts: [])
        }
        #expect(AtomicFile.kind(of: dir.path + "/fifo") == .fifo)
        #expect(AtomicFile.kind(of: dir.path + "/prometheus_metrics_final.txt") == nil)
    }

    @Test func staleTemporariesOfDeadProcessesAreRemovedAndOthersKept() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        // pid_max is at most 2^22: this pid cannot be alive.
        let dead = dir.path + "/metrics_final.json.tmp.99999999"
        let live = dir.path + "/metrics_final.json.tmp.1"
        let other = dir.path + "/metrics_final.jsonl.tmp.99999999"
        for path in [dead, live, other] { try ConfigTestSupport.write("x", to: path) }
        let removed = FinalExport(directory: dir.path).removeStaleTemporaries()
        #expect(removed == [dead])
        #expect(AtomicFile.kind(of: live) == .regular && AtomicFile.kind(of: other) == .regular)
    }
}
