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

    @Test func aLoopWithAFileSDPathAnnouncesItsBoundPortAndRemovesItselfAtStop() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/targets.json"
        let yaml = """
            monitoring:
              prometheus: {port: 0, file_sd_path: "\(path)"}
              resource_monitor: {enabled: false}
              container_monitor: {enabled: false}
              alerts: {log_file: null, alertmanager: {labels: {env: test}}}
              export: {enabled: false}
            """
        let runtime = try Runtime.start(config: config(yaml))
        let port = try #require(runtime.port)
        let runID = try #require(runtime.runID)
        // 20261202T114512Z-0a1b2c3d: the start time, then 32 random bits.
        #expect(runID.count == 25 && runID.dropFirst(8).first == "T" && runID.dropFirst(15).first == "Z")
        let entries = try TargetAnnouncer.entries(path)
        #expect(entries.count == 1)
        #expect(entries.first?["targets"]?[0]?.stringValue == "127.0.0.1:\(port)")
        let labels = entries.first?["labels"]
        #expect(labels?["instance"]?.stringValue == "127.0.0.1:\(port)")
        #expect(labels?["run_id"]?.stringValue == runID && labels?["env"]?.stringValue == "test")
        #expect(labels?["host"]?.stringValue == ScrapeTarget.hostName())

        let second = try Runtime.start(config: config(yaml))
        #expect(second.runID != runID)  // a new one at each start
        #expect(try TargetAnnouncer.entries(path).count == 2)
        second.stop()
        runtime.stop()
        #expect(try TargetAnnouncer.entries(path).isEmpty)
    }

    @Test func aConfiguredRunIDIsKept() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let runtime = try Runtime.start(config: config("""
            monitoring:
              prometheus: {port: 0, file_sd_path: "\(dir.path)/t.json", run_id: nightly-42, instance: loop-a}
              resource_monitor: {enabled: false}
              container_monitor: {enabled: false}
              alerts: {log_file: null}
              export: {enabled: false}
            """))
        defer { runtime.stop() }
        #expect(runtime.runID == "nightly-42")
        #expect(try TargetAnnouncer.entries(dir.path + "/t.json").first?["labels"]?["instance"]?.stringValue == "loop-a")
    }

    @Test func anUnwritableFileSDPathFailsTheStart() throws {
        #expect(throws: AtomicFile.WriteError.self) {
            try Runtime.start(config: config("""
                monitoring:
                  prometheus: {port: 0, file_sd_path: /nonexistent-finmon-dir/targets.json}
                  resource_monitor: {enabled: false}
                  container_monitor: {enabled: false}
                  alerts: {log_file: null}
                  export: {enabled: false}
                """))
        }
    }
}
