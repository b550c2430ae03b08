import Glibc
import Testing
@testable import FinMonCore

/// `Runtime.start`: the config-wired whole, as `finmon_runtime_start` and `finmon.start` use it.
@Suite(.serialized) struct RuntimeTests {
    private func config(_ text: String) throws -> MonitoringConfig {
        try MonitoringConfig.parse(text: text, fileName: "runtime.yaml")
    }

    @Test func startsWhatTheConfigEnablesAndStopWritesTheFinalRecordOnce() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let runtime = try Runtime.start(config: config("""
            monitoring:
              prometheus: {port: 0, metrics_path: /loop/metrics}
              resource_monitor: {collection_interval: 0.5}
              container_monitor: {stats_collection_interval: 30, docker_host: "unix:///nonexistent.sock"}
              alerts: {log_file: null, evaluation_interval: 30, success_rate: {window_iterations: 4}}
              diversity_monitor: {history_size: 50}
              export: {directory: "\(dir.path)", final_metrics_path: run.json, prometheus_snapshot_path: run.prom}
            """))
        let collector = try #require(runtime.collector)
        let port = try #require(runtime.port)
        #expect(collector.resources.intervalSeconds == 0.5)
        #expect(collector.containers.status().pollIntervalSeconds == 30)
        #expect(collector.alerts.isRunning)
        for iteration in 1...4 {
            try collector.loop.recordIteration(
                iteration: iteration, success: iteration != 1, executionSeconds: 0.1, sharpe: nil, maxDrawdown: nil)
        }
        #expect(collector.loop.snapshot().successRate == 0.75)  // the window is the config's 4
        let response = try TestHTTPClient(port: port).request("/loop/metrics")
        #expect(response.status == 200 && response.text.contains("strategy_success_total 3.0\n"))
        #expect(try TestHTTPClient(port: port).request("/metrics").status == 404)

        #expect(runtime.stop() == nil)
        #expect(runtime.port == nil && !collector.alerts.isRunning && !collector.resources.isRunning)
        let first = try ConfigTestSupport.read(dir.path + "/run.json")
        #expect(first.contains("\"iterations\": 4}"))
        unlink(dir.path + "/run.json")
        #expect(runtime.stop() == nil)  // the second stop does nothing: no second record
        #expect(access(dir.path + "/run.json", F_OK) != 0)
        unlink(dir.path + "/run.prom")
    }

    @Test func aFinalRecordThatWouldLeaveItsFolderStopsTheStartNamingTheKey() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        do {
            _ = try Runtime.start(config: config("""
                monitoring:
                  prometheus: {enabled: false}
                  resource_monitor: {enabled: false}
                  container_monitor: {enabled: false}
                  alerts: {enabled: false}
                  export: {directory: "\(dir.path)", final_metrics_path: ../escaped.json}
                """))
            Issue.record("the runtime started")
        } catch {
            #expect("\(error)".hasPrefix("monitoring.export.final_metrics_path: '../escaped.json' must be a file name"))
        }
    }

    @Test func disabledStartsNothing() throws {
        let runtime = try Runtime.start(config: config("monitoring:\n  enabled: false\n"))
        #expect(runtime.collector == nil && runtime.port == nil && runtime.stop() == nil)
    }

    @Test func partsTheConfigTurnsOffStayOff() throws {
        let runtime = try Runtime.start(config: config("""
            monitoring:
              prometheus: {enabled: false}
              resource_monitor: {enabled: false}
              container_monitor: {enabled: false}
              alerts: {enabled: false}
              export: {enabled: false}
            """))
        defer { runtime.stop() }
        let collector = try #require(runtime.collector)
        #expect(runtime.port == nil && collector.exporterStatus == .stopped)
        #expect(!collector.resources.isRunning && !collector.alerts.isRunning)
        #expect(collector.containers.status().pollIntervalSeconds == nil)
        #expect(collector.finalExport.withLock { $0 } == nil)
    }

    @Test func aPartThatCannotStartStopsTheOthersAndThrows() throws {
        #expect(throws: ResourceMonitorError.self) {
            try Runtime.start(config: config("""
                monitoring:
                  prometheus: {port: 0}
                  resource_monitor: {disk_path: /nonexistent-finmon-disk}
                  container_monitor: {enabled: false}
                  alerts: {log_file: null}
                  export: {enabled: false}
                """))
        }
        #expect(throws: MetricsExporter.StartError.self) {
            try Runtime.start(config: config("monitoring:\n  prometheus: {address: nonexistent.invalid, port: 0}\n"))
        }
    }

    @Test func theConfigsWarningsAreQueuedForTheHost() throws {
        let runtime = try Runtime.start(config: config("""
            alerts: {log_file: null}
            monitoring:
              prometheus: {enabled: false}
              resource_monitor: {enabled: false}
              container_monitor: {enabled: false}
              export: {enabled: false}
            """))
        defer { runtime.stop() }
        let event = try #require(runtime.collector?.events.next(timeout: 1))
        #expect(event.level == .warning && event.message.hasPrefix("runtime.yaml:1: alerts.log_file: deprecated key"))
    }
}
