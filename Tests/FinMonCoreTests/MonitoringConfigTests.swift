import Testing
@testable import FinMonCore

@Suite struct MonitoringConfigTests {
    private typealias JSON = ConfigTestSupport.JSON
    private static let committedPath = ConfigTestSupport.packageRoot + "/config/monitoring_config.yaml"

    private func parseError(_ text: String) -> ConfigError? {
        do {
            _ = try MonitoringConfig.parse(text: text, fileName: "monitoring_config.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func documentedDefaults() {
        let d = MonitoringConfig.defaults
        #expect(d.monitoring.enabled && d.monitoring.prometheus.enabled)
        #expect(d.monitoring.prometheus.port == 8000 && d.monitoring.prometheus.address == "127.0.0.1")
        #expect(d.monitoring.prometheus.scrapeIntervalSeconds == 5)
        #expect(d.monitoring.resourceMonitor.intervalSeconds == 5 && d.monitoring.resourceMonitor.diskPath == "/")
        #expect(d.monitoring.resourceMonitor.rssGrowthWindowSeconds == 300)
        #expect(d.monitoring.diversityMonitor.historySize == 1000)
        #expect(d.monitoring.containerMonitor.dockerHost == nil && d.monitoring.containerMonitor.label == "finlab-sandbox")
        #expect(d.monitoring.containerMonitor.orphanStatuses == ["exited", "dead"])
        #expect(d.monitoring.containerMonitor.statsCollectionIntervalSeconds == 10)
        #expect(d.monitoring.containerMonitor.requestTimeoutSeconds == 2)
        #expect(d.monitoring.loop.successWindow == 10)
        #expect(d.alerts.enabled && d.alerts.evaluationIntervalSeconds == 5 && d.alerts.logFile == "alerts.jsonl")
        #expect(d.alerts.memoryThresholdPercent == 80 && d.alerts.cpuThresholdPercent == 90)
        #expect(d.alerts.diversityCollapse.threshold == 0.1 && d.alerts.diversityCollapse.window == 5)
        #expect(d.alerts.championStaleness.thresholdIterations == 20)
        #expect(d.alerts.successRate.thresholdPercent == 20 && d.alerts.successRate.windowIterations == 10)
        #expect(d.alerts.orphanedContainers.threshold == 3 && d.alerts.orphanedContainers.autoCleanup)
        #expect(d.alerts.severities == PerAlertType(
            highMemory: .critical, highCPU: .warning, diversityCollapse: .warning,
            championStaleness: .warning, lowSuccessRate: .critical, orphanedContainers: .warning))
        #expect(d.alerts.forSeconds == PerAlertType(repeating: 0))
        #expect(d.alerts.alertmanager.url == nil && d.alerts.alertmanager.resendIntervalSeconds == 60)
        #expect(d.alerts.webhook.url == nil)
        #expect(d.export.directory == "." && d.export.jsonFile == "metrics_final.json")
        #expect(d.export.prometheusFile == "prometheus_metrics_final.txt" && d.export.retentionDays == 15)
        #expect(d.grafana.dashboardFile == "config/grafana_dashboard.json" && d.grafana.datasource == "DS_PROMETHEUS")
    }

    @Test func committedFileSpellsOutTheDefaults() throws {
        let config = try MonitoringConfig.load(path: Self.committedPath)
        #expect(config == .defaults)
        // Every default is written out, not left implicit: the file documents them.
        let text = try ConfigTestSupport.read(Self.committedPath)
        for key in ["port: 8000", "history_size: 1000", "docker_host: null", "high_memory: critical",
                    "for_seconds: {}", "retention_days: 15", "datasource: \"DS_PROMETHEUS\""] {
            #expect(text.contains(key), "missing \(key)")
        }
    }

    @Test func emptyTextAndEmptySectionsMeanDefaults() throws {
        #expect(try MonitoringConfig.parse(text: "") == .defaults)
        #expect(try MonitoringConfig.parse(text: "monitoring:\nalerts: {}\nexport: ~\n") == .defaults)
    }

    @Test func overridesAreRead() throws {
        let config = try MonitoringConfig.parse(text: """
            monitoring:
              prometheus: {port: 0, address: "0.0.0.0", scrape_interval_seconds: 2.5}
              container_monitor:
                docker_host: "unix:///run/podman.sock"
                orphan_statuses: [exited, created]
            alerts:
              log_file: null
              diversity_collapse: {threshold: 0, window: 1}
              severities: {high_cpu: critical}
              for_seconds: {high_cpu: 60, orphaned_containers: 0.5}
              alertmanager: {url: "http://127.0.0.1:9093", labels: {env: prod, instance: "loop-1"}}
            """)
        #expect(config.monitoring.prometheus.port == 0)
        #expect(config.monitoring.prometheus.address == "0.0.0.0")
        #expect(config.monitoring.prometheus.scrapeIntervalSeconds == 2.5)
        #expect(config.monitoring.containerMonitor.dockerHost == "unix:///run/podman.sock")
        #expect(config.monitoring.containerMonitor.orphanStatuses == ["exited", "created"])
        #expect(config.alerts.logFile == nil)
        #expect(config.alerts.diversityCollapse.threshold == 0 && config.alerts.diversityCollapse.window == 1)
        #expect(config.alerts.severities.highCPU == .critical && config.alerts.severities.highMemory == .critical)
        #expect(config.alerts.severities.diversityCollapse == .warning)
        #expect(config.alerts.forSeconds[.highCPU] == 60 && config.alerts.forSeconds[.orphanedContainers] == 0.5)
        #expect(config.alerts.forSeconds[.highMemory] == 0)
        #expect(config.alerts.alertmanager.url == "http://127.0.0.1:9093")
        #expect(config.alerts.alertmanager.labels == ["env": "prod", "instance": "loop-1"])
        #expect(try MonitoringConfig.parse(text: "alerts:\n  alertmanager:\n    labels: null\n").alerts.alertmanager.labels == [:])
    }

    @Test func outOfRangeValueNamesFileKeyPathAndLine() {
        let text = """
            monitoring:
              enabled: true
            alerts:
              enabled: true
              diversity_collapse:
                threshold: 0.1
                window: -3
            """
        let error = parseError(text)
        #expect(error?.kind == .outOfRange)
        #expect(error?.line == 7 && error?.keyPath == "alerts.diversity_collapse.window")
        #expect(error?.description
            == "monitoring_config.yaml:7: alerts.diversity_collapse.window: must be a positive integer, got -3")
    }

    @Test func unknownKeyIsReportedWithTheExpectedOnes() {
        let error = parseError("monitoring:\n  prometheus:\n    enabled: true\n    prot: 9000\n")
        #expect(error?.kind == .unknownKey)
        #expect(error?.description == "monitoring_config.yaml:4: monitoring.prometheus.prot: "
            + "unknown key (expected one of: address, enabled, port, scrape_interval_seconds)")
        #expect(parseError("alert:\n  enabled: true\n")?.description
            == "monitoring_config.yaml:1: alert: unknown key (expected one of: alerts, export, grafana, monitoring)")
        #expect(parseError("alerts:\n  for_seconds:\n    high_disk: 5\n")?.keyPath == "alerts.for_seconds.high_disk")
    }

    @Test(arguments: [
        ("monitoring:\n  enabled: yes\n", 2, "monitoring.enabled", "must be true or false, got yes"),
        ("monitoring:\n  prometheus:\n    port: \"8000\"\n", 3, "monitoring.prometheus.port",
         "must be a port number in 0...65535, got \"8000\""),
        ("monitoring:\n  prometheus:\n    port: 80.5\n", 3, "monitoring.prometheus.port",
         "must be a port number in 0...65535, got 80.5"),
        ("monitoring:\n  resource_monitor:\n    interval_seconds: fast\n", 3, "monitoring.resource_monitor.interval_seconds",
         "must be a positive number of seconds, got fast"),
        ("monitoring:\n  prometheus:\n    address: 8080\n", 3, "monitoring.prometheus.address",
         "must be a string, got 8080"),
        ("monitoring:\n  container_monitor:\n    orphan_statuses: exited\n", 3,
         "monitoring.container_monitor.orphan_statuses", "must be a list of strings, got exited"),
        ("monitoring: [1, 2]\n", 1, "monitoring", "must be a mapping, got a list"),
        ("alerts:\n  webhook:\n    url: 5\n", 3, "alerts.webhook.url", "must be a string or null, got 5"),
        ("alerts:\n  alertmanager:\n    labels: [env]\n", 3, "alerts.alertmanager.labels",
         "must be a mapping of label names to strings, got a list"),
        ("alerts:\n  alertmanager:\n    labels:\n      env: 5\n", 4, "alerts.alertmanager.labels.env",
         "must be a string, got 5"),
        ("alerts:\n  severities:\n    high_cpu: [warning]\n", 3, "alerts.severities.high_cpu",
         "must be one of warning, critical, got a list"),
    ] as [(String, Int, String, String)])
    func wrongTypes(text: String, line: Int, keyPath: String, message: String) {
        let error = parseError(text)
        #expect(error?.kind == .wrongType)
        #expect(error?.line == line)
        #expect(error?.keyPath == keyPath)
        #expect(error?.message == message)
    }

    @Test(arguments: [
        ("monitoring:\n  prometheus:\n    port: 65536\n", 3, "monitoring.prometheus.port",
         "must be a port number in 0...65535, got 65536"),
        ("monitoring:\n  prometheus:\n    port: -1\n", 3, "monitoring.prometheus.port",
         "must be a port number in 0...65535, got -1"),
        ("alerts:\n  memory_threshold_percent: 0\n", 2, "alerts.memory_threshold_percent",
         "must be a percentage in (0, 100], got 0"),
        ("alerts:\n  cpu_threshold_percent: 100.5\n", 2, "alerts.cpu_threshold_percent",
         "must be a percentage in (0, 100], got 100.5"),
        ("alerts:\n  success_rate:\n    threshold_percent: .nan\n", 3, "alerts.success_rate.threshold_percent",
         "must be a percentage in (0, 100], got .nan"),
        ("alerts:\n  diversity_collapse:\n    threshold: 1.5\n", 3, "alerts.diversity_collapse.threshold",
         "must be a number in [0, 1], got 1.5"),
        ("alerts:\n  evaluation_interval_seconds: 0\n", 2, "alerts.evaluation_interval_seconds",
         "must be a positive number of seconds, got 0"),
        ("monitoring:\n  resource_monitor:\n    interval_seconds: .inf\n", 3,
         "monitoring.resource_monitor.interval_seconds", "must be a positive number of seconds, got .inf"),
        ("alerts:\n  for_seconds:\n    high_cpu: -1\n", 3, "alerts.for_seconds.high_cpu",
         "must be a non-negative number of seconds, got -1"),
        ("monitoring:\n  loop:\n    success_window: 0\n", 3, "monitoring.loop.success_window",
         "must be a positive integer, got 0"),
        ("monitoring:\n  diversity_monitor:\n    history_size: -5\n", 3, "monitoring.diversity_monitor.history_size",
         "must be a positive integer, got -5"),
        ("alerts:\n  severities:\n    high_cpu: fatal\n", 3, "alerts.severities.high_cpu",
         "must be one of warning, critical, got fatal"),
        ("monitoring:\n  container_monitor:\n    orphan_statuses:\n      - exited\n      - gone\n", 5,
         "monitoring.container_monitor.orphan_statuses[1]",
         "must be one of created, restarting, running, removing, paused, exited, dead, got gone"),
        ("alerts:\n  alertmanager:\n    url: \"localhost:9093\"\n", 3, "alerts.alertmanager.url",
         "must be an http:// URL, got \"localhost:9093\""),
        ("alerts:\n  webhook:\n    url: \"https://hooks.example.com/x\"\n", 3, "alerts.webhook.url",
         "must be an http:// URL (finmon sends plain HTTP; let Alertmanager reach HTTPS receivers), "
            + "got \"https://hooks.example.com/x\""),
        ("alerts:\n  webhook:\n    url: \"http://host:99999/x\"\n", 3, "alerts.webhook.url",
         "is not a usable URL: invalid endpoint \"http://host:99999/x\": port must be a number from 1 to 65535"),
        ("alerts:\n  alertmanager:\n    labels: {alertname: x}\n", 3, "alerts.alertmanager.labels.alertname",
         "is set by finmon itself (reserved: alertname, alert_type, severity)"),
        ("alerts:\n  alertmanager:\n    labels:\n      9env: x\n", 4, "alerts.alertmanager.labels.9env",
         "is not a valid Prometheus label name"),
        ("alerts:\n  alertmanager:\n    labels:\n      env: \"\"\n", 4, "alerts.alertmanager.labels.env",
         "must not be empty"),
        ("export:\n  json_file: \"\"\n", 2, "export.json_file", "must not be empty"),
    ] as [(String, Int, String, String)])
    func outOfRange(text: String, line: Int, keyPath: String, message: String) {
        let error = parseError(text)
        #expect(error?.kind == .outOfRange)
        #expect(error?.line == line)
        #expect(error?.keyPath == keyPath)
        #expect(error?.message == message)
    }

    @Test func topLevelMustBeAMapping() {
        let error = parseError("- a\n- b\n")
        #expect(error?.kind == .wrongType)
        #expect(error?.description == "monitoring_config.yaml:1:1: the top level must be a mapping, got a list")
    }

    @Test func syntaxErrorsKeepLibyamlsLine() {
        let error = parseError("monitoring:\n  enabled: true\n   port: 8000\n")
        #expect(error?.kind == .syntax)
        #expect(error?.line == 3)
        #expect(error?.description.hasPrefix("monitoring_config.yaml:3:") == true)
    }

    @Test func duplicateKeysAreErrors() {
        let error = parseError("alerts:\n  enabled: true\n  enabled: false\n")
        #expect(error?.description == "monitoring_config.yaml:3:3: duplicate key 'enabled' (first defined on line 2)")
    }

    @Test func missingFileNamesThePath() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/absent.yaml"
        do {
            _ = try MonitoringConfig.load(path: path)
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.kind == .unreadable)
            #expect(error.description == "\(path): cannot open: No such file or directory (errno 2)")
        }
        do {
            _ = try MonitoringConfig.load(path: dir.path)
            Issue.record("a directory loaded")
        } catch {
            #expect(error.kind == .unreadable)
            #expect(error.description.contains("Is a directory"))
        }
    }

    @Test func loadReportsErrorsAgainstThePathGiven() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/monitoring_config.yaml"
        try ConfigTestSupport.write("export:\n  retention_days: 0\n", to: path)
        do {
            _ = try MonitoringConfig.load(path: path)
            Issue.record("an invalid file loaded")
        } catch {
            #expect(error.description == "\(path):2: export.retention_days: must be a positive integer, got 0")
        }
    }

    @Test func jsonStringIsTheFullEffectiveConfig() throws {
        var config = MonitoringConfig.defaults
        config.alerts.forSeconds[.highCPU] = 1.5
        config.monitoring.containerMonitor.dockerHost = "unix:///x\"y"
        let text = config.jsonString()
        #expect(!text.contains("\n"))
        let json = try JSON.parse(text)
        #expect(json["monitoring"]?["prometheus"]?["port"] == .number(8000))
        #expect(json["monitoring"]?["container_monitor"]?["docker_host"] == .string("unix:///x\"y"))
        #expect(json["monitoring"]?["container_monitor"]?["orphan_statuses"] == .array([.string("exited"), .string("dead")]))
        #expect(json["alerts"]?["diversity_collapse"]?["threshold"] == .number(0.1))
        #expect(json["alerts"]?["severities"]?["low_success_rate"] == .string("critical"))
        #expect(json["alerts"]?["for_seconds"]?["high_cpu"] == .number(1.5))
        #expect(json["alerts"]?["for_seconds"]?["high_memory"] == .number(0))
        #expect(json["alerts"]?["alertmanager"]?["url"] == .null)
        #expect(json["export"]?["retention_days"] == .number(15))
        #expect(json["grafana"]?["datasource"] == .string("DS_PROMETHEUS"))
        // Sorted keys make the text stable: alerts < export < grafana < monitoring.
        #expect(text.hasPrefix("{\"alerts\":{\"alertmanager\":{\"labels\":{},\"resend_interval_seconds\":60,\"url\":null}"))
        #expect(MonitoringConfig.defaults.jsonString() == MonitoringConfig.defaults.jsonString())
    }

    /// Mutated and random texts must only ever produce a config or a ConfigError with
    /// a sane position: never a crash. Deterministic (seeded), so a failure reproduces.
    @Test func mutatedTextsNeverCrash() throws {
        let original = Array(try ConfigTestSupport.read(Self.committedPath).utf8)
        let lineCount = original.filter { $0 == UInt8(ascii: "\n") }.count
        let alphabet = Array(":-[]{}!&*?|>'\"#%@`, \n\t0123456789.~abcxyz_\u{00}".utf8) + [0xC3, 0xFF, 0x80]
        var random = SplitMix64(seed: 0xF1A_2026)
        var accepted = 0
        var rejected = 0
        for round in 0..<1500 {
            var bytes: [UInt8]
            if round % 5 == 4 {
                let count = Int(random.next() % 200)
                bytes = (0..<count).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            } else {
                bytes = original
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    guard !bytes.isEmpty else { break }
                    let at = Int(random.next() % UInt64(bytes.count))
                    switch random.next() % 5 {
                    case 0: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                    case 1: bytes.remove(at: at)
                    case 2: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                    case 3: bytes.removeSubrange(at..<min(bytes.count, at + Int(random.next() % 40)))
                    default: bytes = Array(bytes[..<at])
                    }
                }
            }
            do {
                _ = try MonitoringConfig.decode(YAMLLoader.load(bytes: bytes, fileName: "fuzz.yaml"), fileName: "fuzz.yaml")
                accepted += 1
            } catch {
                rejected += 1
                #expect(error.file == "fuzz.yaml")
                #expect(error.line >= 1 && error.line <= max(lineCount, bytes.count) + 1, "\(error)")
                #expect(!error.message.isEmpty)
            }
        }
        // Both outcomes occur, so the mutations are neither all fatal nor all harmless.
        #expect(accepted > 0 && rejected > 0)
    }
}

@Suite struct MonitoringConfigWindowTests {
    @Test func theSuccessRateWindowMustEqualTheLoopWindow() {
        let text = "monitoring:\n  loop:\n    success_window: 12\nalerts:\n  success_rate:\n    window_iterations: 10\n"
        #expect(throws: ConfigError.self) { try MonitoringConfig.parse(text: text, fileName: "c.yaml") }
        do {
            _ = try MonitoringConfig.parse(text: text, fileName: "c.yaml")
        } catch {
            #expect(error.description == "c.yaml:6: alerts.success_rate.window_iterations: must equal monitoring.loop.success_window, the one rolling window the loop keeps (12), got 10")
        }
    }

    @Test func anUnsetSuccessRateWindowFollowsTheLoopWindow() throws {
        let config = try MonitoringConfig.parse(text: "monitoring:\n  loop:\n    success_window: 12\n")
        #expect(config.alerts.successRate.windowIterations == 12)
    }
}
