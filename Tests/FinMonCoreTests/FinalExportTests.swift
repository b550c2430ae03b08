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
}
