import Testing
@testable import FinMonCore

@Suite struct MonitoringConfigTests {
    private typealias JSON = ConfigTestSupport.JSON
    static let committedPath = ConfigTestSupport.packageRoot + "/config/monitoring_config.yaml"

    private func parseError(_ text: String) -> ConfigError? {
        do {
            _ = try MonitoringConfig.parse(text: text, fileName: "monitoring_config.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsAreTheTablesDefaults() {
        let d = MonitoringConfig.defaults
        for key in ConfigTable.keys { #expect(d[key.path] == key.defaultValue, "\(key.path)") }
        #expect(d.int("monitoring.prometheus.port") == 8000)
        #expect(d.double("monitoring.alerts.evaluation_interval") == 10)
        #expect(d.int("monitoring.export.retention_days") == 30)
        #expect(d.string("monitoring.container_monitor.docker_host") == nil)
        #expect(d.strings("monitoring.container_monitor.orphan_statuses") == ["exited", "dead"])
        #expect(d.severities == PerAlertType(
            highMemory: .critical, highCPU: .warning, diversityCollapse: .warning,
            championStaleness: .warning, lowSuccessRate: .critical, orphanedContainers: .warning,
            memoryLeak: .warning, loopStuck: .critical))
        #expect(d.forSeconds == PerAlertType(
            highMemory: 120, highCPU: 300, diversityCollapse: 0, championStaleness: 0, lowSuccessRate: 0,
            orphanedContainers: 0, memoryLeak: 600, loopStuck: 0))
        #expect(d.severity(of: "loop_down") == .critical && d.forSeconds(of: "loop_down") == 60)
        #expect(d.severity(of: "loop_absent") == .critical && d.forSeconds(of: "loop_absent") == 60)
        #expect(d.loopStuckSeconds == 600)
    }

    @Test func emptyTextAndEmptySectionsMeanDefaults() throws {
        #expect(try MonitoringConfig.parse(text: "") == .defaults)
        #expect(try MonitoringConfig.parse(text: "monitoring:\n  alerts: {}\n  export: ~\ngrafana:\n") == .defaults)
    }

    @Test func overridesAreRead() throws {
        let config = try MonitoringConfig.parse(text: """
            monitoring:
              prometheus: {port: 0, address: "0.0.0.0", scrape_interval: 2.5, metrics_path: /prom, instance: "loop-1",
                           job_name: evolution}
              container_monitor:
                docker_host: "unix:///run/podman.sock"
                orphan_statuses: [exited, created]
              alerts:
                log_file: null
                diversity_collapse: {threshold: 0, window: 1}
                severities: {high_cpu: critical}
                for_seconds: {high_cpu: 60, orphaned_containers: 0.5}
                alertmanager: {url: "http://127.0.0.1:9093", labels: {env: prod, team: "quant"}}
                hysteresis: {high_cpu: 2.5}
            grafana: {refresh_interval: 1m30s, datasource_url: "https://prom.example.com:9443"}
            """)
        #expect(config.int("monitoring.prometheus.port") == 0)
        #expect(config.string("monitoring.prometheus.address") == "0.0.0.0")
        #expect(config.string("monitoring.prometheus.metrics_path") == "/prom")
        #expect(config.double("monitoring.prometheus.scrape_interval") == 2.5)
        #expect(config.string("monitoring.container_monitor.docker_host") == "unix:///run/podman.sock")
        #expect(config.strings("monitoring.container_monitor.orphan_statuses") == ["exited", "created"])
        #expect(config.string("monitoring.alerts.log_file") == nil)
        #expect(config.double("monitoring.alerts.diversity_collapse.threshold") == 0)
        #expect(config.int("monitoring.alerts.diversity_collapse.window") == 1)
        #expect(config.severities.highCPU == .critical && config.severities.highMemory == .critical)
        #expect(config.severities.diversityCollapse == .warning)
        #expect(config.forSeconds[.highCPU] == 60 && config.forSeconds[.orphanedContainers] == 0.5)
        #expect(config.forSeconds[.highMemory] == 120)  // the default, not set here
        #expect(config.string("monitoring.alerts.alertmanager.url") == "http://127.0.0.1:9093")
        #expect(config.labels("monitoring.alerts.alertmanager.labels") == ["env": "prod", "team": "quant"])
        #expect(config.double("monitoring.alerts.hysteresis.high_cpu") == 2.5)
        #expect(ScrapeTarget(config: config) == ScrapeTarget(job: "evolution", instance: "loop-1", address: "127.0.0.1:0"))
        #expect(config.string("grafana.refresh_interval") == "1m30s")
        #expect(config.string("grafana.datasource_url") == "https://prom.example.com:9443")
        #expect(config.warnings.isEmpty)
        let nullLabels = try MonitoringConfig.parse(text: "monitoring:\n  alerts:\n    alertmanager:\n      labels: null\n")
        #expect(nullLabels.labels("monitoring.alerts.alertmanager.labels") == [:])
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
        #expect(error?.line == 7 && error?.keyPath == "monitoring.alerts.diversity_collapse.window")
        #expect(error?.description == "monitoring_config.yaml:7: monitoring.alerts.diversity_collapse.window: "
            + "must be an integer in [1, 1000000], got -3")
    }

    @Test func unknownKeyIsReportedWithTheExpectedOnes() {
        let error = parseError("monitoring:\n  prometheus:\n    enabled: true\n    prot: 9000\n")
        #expect(error?.kind == .unknownKey)
        #expect(error?.description == "monitoring_config.yaml:4: monitoring.prometheus.prot: "
            + "unknown key (expected one of: address, enabled, file_sd_path, idle_timeout_seconds, instance, job_name, "
            + "max_connections, metrics_path, port, read_timeout_seconds, retry_interval, run_id, scrape_interval, web_config_file)")
        #expect(parseError("alert:\n  enabled: true\n")?.description
            == "monitoring_config.yaml:1: alert: unknown key (expected one of: grafana, monitoring)")
        #expect(parseError("monitoring:\n  alerts:\n    for_seconds:\n      high_disk: 5\n")?.keyPath
            == "monitoring.alerts.for_seconds.high_disk")
        // An old section with a key it never had.
        #expect(parseError("monitoring:\n  loop:\n    window: 5\n")?.description
            == "monitoring_config.yaml:3: monitoring.loop.window: unknown key")
    }

    @Test(arguments: [
        ("monitoring:\n  enabled: yes\n", 2, "monitoring.enabled", "must be true or false, got yes"),
        ("monitoring:\n  prometheus:\n    port: \"8000\"\n", 3, "monitoring.prometheus.port",
         "must be an integer in [0, 65535], got \"8000\""),
        ("monitoring:\n  prometheus:\n    port: 80.5\n", 3, "monitoring.prometheus.port",
         "must be an integer in [0, 65535], got 80.5"),
        ("monitoring:\n  resource_monitor:\n    collection_interval: fast\n", 3,
         "monitoring.resource_monitor.collection_interval", "must be a number of seconds in [0.01, 86400], got fast"),
        ("monitoring:\n  prometheus:\n    address: 8080\n", 3, "monitoring.prometheus.address", "must be an IPv4 or IPv6 address or a host name, got 8080"),
        ("monitoring:\n  container_monitor:\n    orphan_statuses: exited\n", 3,
         "monitoring.container_monitor.orphan_statuses", "must be a list of strings, got exited"),
        ("monitoring: [1, 2]\n", 1, "monitoring", "must be a mapping, got a list"),
        ("monitoring:\n  alerts:\n    webhook:\n      url: 5\n", 4, "monitoring.alerts.webhook.url",
         "must be a string or null, got 5"),
        ("monitoring:\n  alerts:\n    alertmanager:\n      labels: [env]\n", 4, "monitoring.alerts.alertmanager.labels",
         "must be a mapping of label names to strings, got a list"),
        ("monitoring:\n  alerts:\n    alertmanager:\n      labels:\n        env: 5\n", 5,
         "monitoring.alerts.alertmanager.labels.env", "must be a string, got 5"),
        ("monitoring:\n  alerts:\n    severities:\n      high_cpu: [warning]\n", 4, "monitoring.alerts.severities.high_cpu",
         "must be one of warning, critical, got a list"),
        ("grafana:\n  refresh_interval: 5\n", 2, "grafana.refresh_interval",
         "must be a duration such as \"5s\" or \"1m\", got 5"),
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
         "must be an integer in [0, 65535], got 65536"),
        ("monitoring:\n  prometheus:\n    metrics_path: metrics\n", 3, "monitoring.prometheus.metrics_path",
         "must be a URL path starting with /, got metrics"),
        ("monitoring:\n  prometheus:\n    metrics_path: /healthz\n", 3, "monitoring.prometheus.metrics_path",
         "must not be / or /healthz (the exporter answers those itself), got /healthz"),
        ("monitoring:\n  prometheus:\n    retry_interval: 1e-9\n", 3, "monitoring.prometheus.retry_interval",
         "must be a number of seconds in [0.1, 3600], got 1e-9"),
        ("monitoring:\n  alerts:\n    memory_threshold_percent: 0\n", 3, "monitoring.alerts.memory_threshold_percent",
         "must be a number in (0, 100], got 0"),
        ("monitoring:\n  alerts:\n    success_rate:\n      threshold_percent: .nan\n", 4,
         "monitoring.alerts.success_rate.threshold_percent", "must be a number in (0, 100], got .nan"),
        ("monitoring:\n  alerts:\n    success_rate:\n      window_iterations: 2000000\n", 4,
         "monitoring.alerts.success_rate.window_iterations", "must be an integer in [1, 1000000], got 2000000"),
        ("monitoring:\n  alerts:\n    evaluation_interval: 0\n", 3, "monitoring.alerts.evaluation_interval",
         "must be a number of seconds in [0.01, 86400], got 0"),
        ("monitoring:\n  resource_monitor:\n    collection_interval: .inf\n", 3,
         "monitoring.resource_monitor.collection_interval", "must be a number of seconds in [0.01, 86400], got .inf"),
        ("monitoring:\n  alerts:\n    for_seconds:\n      high_cpu: -1\n", 4, "monitoring.alerts.for_seconds.high_cpu",
         "must be a number of seconds in [0, 86400], got -1"),
        ("monitoring:\n  diversity_monitor:\n    history_size: -5\n", 3, "monitoring.diversity_monitor.history_size",
         "must be an integer in [1, 10000000], got -5"),
        ("monitoring:\n  alerts:\n    severities:\n      high_cpu: fatal\n", 4, "monitoring.alerts.severities.high_cpu",
         "must be one of warning, critical, got fatal"),
        ("monitoring:\n  container_monitor:\n    orphan_statuses:\n      - exited\n      - gone\n", 5,
         "monitoring.container_monitor.orphan_statuses[1]",
         "must be one of created, restarting, running, removing, paused, exited, dead, got gone"),
        ("monitoring:\n  alerts:\n    alertmanager:\n      url: \"localhost:9093\"\n", 4,
         "monitoring.alerts.alertmanager.url", "must be an http:// URL, got \"localhost:9093\""),
        ("monitoring:\n  alerts:\n    webhook:\n      url: \"https://hooks.example.com/x\"\n", 4,
         "monitoring.alerts.webhook.url",
         "must be an http:// URL (finmon sends plain HTTP; let Alertmanager reach HTTPS receivers), "
            + "got \"https://hooks.example.com/x\""),
        ("monitoring:\n  alerts:\n    webhook:\n      url: \"http://host:99999/x\"\n", 4, "monitoring.alerts.webhook.url",
         "is not a usable URL: invalid endpoint \"http://host:99999/x\": port must be a number from 1 to 65535"),
        ("monitoring:\n  alerts:\n    alertmanager:\n      labels: {alertname: x}\n", 4,
         "monitoring.alerts.alertmanager.labels.alertname",
         "is set by finmon itself (reserved: alertname, alert_type, severity, job, instance, run_id, host)"),
        ("monitoring:\n  alerts:\n    alertmanager:\n      labels: {instance: x}\n", 4,
         "monitoring.alerts.alertmanager.labels.instance",
         "is set by finmon itself (reserved: alertname, alert_type, severity, job, instance, run_id, host; "
            + "set it with monitoring.prometheus.instance)"),
        ("monitoring:\n  alerts:\n    alertmanager:\n      labels: {run_id: x}\n", 4,
         "monitoring.alerts.alertmanager.labels.run_id",
         "is set by finmon itself (reserved: alertname, alert_type, severity, job, instance, run_id, host; "
            + "set it with monitoring.prometheus.run_id)"),
        ("monitoring:\n  alerts:\n    alertmanager:\n      labels:\n        9env: x\n", 5,
         "monitoring.alerts.alertmanager.labels.9env", "is not a valid Prometheus label name"),
        ("monitoring:\n  export:\n    final_metrics_path: \"\"\n", 3, "monitoring.export.final_metrics_path",
         "must not be empty"),
        ("grafana:\n  datasource_url: \"localhost:9090\"\n", 2, "grafana.datasource_url",
         "must be an http:// or https:// URL, got \"localhost:9090\""),
        ("grafana:\n  refresh_interval: 5 s\n", 2, "grafana.refresh_interval",
         "must be a duration such as \"5s\" or \"1m\", got 5 s"),
        ("grafana:\n  refresh_interval: 0s\n", 2, "grafana.refresh_interval",
         "must be a duration such as \"5s\" or \"1m\", got 0s"),
        // The audit's validation gaps: each refused at load, naming the key.
        ("monitoring:\n  alerts:\n    log_file: \"/tmp/al\\0x.jsonl\"\n", 3, "monitoring.alerts.log_file",
         "must not contain NUL"),
        ("monitoring:\n  alerts:\n    alertmanager:\n      url: \"http://127.0.0.1:9093\\r\\nX-Evil: 1\"\n", 4,
         "monitoring.alerts.alertmanager.url", "must not contain a carriage return (CR)"),
        ("monitoring:\n  alerts:\n    alertmanager:\n      labels: {env: \"a\\nb\"}\n", 4,
         "monitoring.alerts.alertmanager.labels.env", "must not contain a line feed (LF)"),
        ("monitoring:\n  prometheus:\n    address: 999.1.1.1\n", 3, "monitoring.prometheus.address",
         "must be an IPv4 or IPv6 address or a host name, got 999.1.1.1"),
        ("monitoring:\n  prometheus:\n    address: \"::g\"\n", 3, "monitoring.prometheus.address",
         "must be an IPv4 or IPv6 address or a host name, got \"::g\""),
        ("monitoring:\n  prometheus:\n    address: \"bad host\"\n", 3, "monitoring.prometheus.address",
         "must be an IPv4 or IPv6 address or a host name, got \"bad host\""),
    ] as [(String, Int, String, String)])
    func outOfRange(text: String, line: Int, keyPath: String, message: String) {
        let error = parseError(text)
        #expect(error?.kind == .outOfRange)
        #expect(error?.line == line)
        #expect(error?.keyPath == keyPath)
        #expect(error?.message == message)
    }

    @Test func listenAddressesThatAreAddressesOrHostNamesPass() throws {
        for host in ["0.0.0.0", "127.0.0.1", "::", "::1", "localhost", "metrics-1.example.com"] {
            #expect(ConfigType.isHost(host), "\(host)")
            let config = try MonitoringConfig.parse(text: "monitoring:\n  prometheus:\n    address: \"\(host)\"\n")
            #expect(config.string("monitoring.prometheus.address") == host)
        }
        for host in ["256.0.0.1", "1.2.3", "-a.com", "a..b", "a_b", ""] { #expect(!ConfigType.isHost(host), "\(host)") }
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
        let error = parseError("monitoring:\n  enabled: true\n  enabled: false\n")
        #expect(error?.description == "monitoring_config.yaml:3:3: duplicate key 'enabled' (first defined on line 2)")
    }

    @Test func missingFileNamesThePath() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/absent.yaml"
        #expect(throws: ConfigError(kind: .unreadable, file: path, line: 0, column: 0,
                                    message: "cannot open: No such file or directory (errno 2)")) {
            try MonitoringConfig.load(path: path)
        }
        do {
            _ = try MonitoringConfig.load(path: dir.path)
            Issue.record("a directory loaded")
        } catch {
            #expect(error.kind == .unreadable && error.description.contains("Is a directory"))
        }
    }

    @Test func loadReportsErrorsAgainstThePathGiven() throws {
        let dir = try ConfigTestSupport.TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/monitoring_config.yaml"
        try ConfigTestSupport.write("monitoring:\n  export:\n    retention_days: 0\n", to: path)
        do {
            _ = try MonitoringConfig.load(path: path)
            Issue.record("an invalid file loaded")
        } catch {
            #expect(error.description
                == "\(path):3: monitoring.export.retention_days: must be an integer in [1, 36500], got 0")
        }
    }

    @Test func jsonStringIsTheFullEffectiveConfigWithTheWarnings() throws {
        var config = try MonitoringConfig.parse(text: "alerts:\n  enabled: true\n", fileName: "c.yaml")
        try config.set("monitoring.alerts.for_seconds.high_cpu", 1.5)
        try config.set("monitoring.container_monitor.docker_host", "unix:///x\"y")
        let text = config.jsonString()
        #expect(!text.contains("\n"))
        let json = try JSON.parse(text)
        let values = json["config"]
        #expect(values?["monitoring"]?["prometheus"]?["port"] == .number(8000))
        #expect(values?["monitoring"]?["container_monitor"]?["docker_host"] == .string("unix:///x\"y"))
        #expect(values?["monitoring"]?["container_monitor"]?["orphan_statuses"] == .array([.string("exited"), .string("dead")]))
        #expect(values?["monitoring"]?["alerts"]?["diversity_collapse"]?["threshold"] == .number(0.1))
        #expect(values?["monitoring"]?["alerts"]?["severities"]?["low_success_rate"] == .string("critical"))
        #expect(values?["monitoring"]?["alerts"]?["for_seconds"]?["high_cpu"] == .number(1.5))
        #expect(values?["monitoring"]?["alerts"]?["alertmanager"]?["url"] == .null)
        #expect(values?["grafana"]?["refresh_interval"] == .string("5s"))
        #expect(json["warnings"] == .array([.object([
            "file": .string("c.yaml"), "line": .number(2), "key_path": .string("alerts.enabled"),
            "message": .string("deprecated key of the previous layout; it is now monitoring.alerts.enabled"),
            "text": .string("c.yaml:2: alerts.enabled: deprecated key of the previous layout; it is now monitoring.alerts.enabled"),
        ])]))
        // Sorted keys make the text stable: grafana < monitoring.
        #expect(text.hasPrefix("{\"config\":{\"grafana\":{\"dashboard_path\":"))
    }

    @Test func setChecksTheValueAgainstItsRow() throws {
        var config = MonitoringConfig.defaults
        try config.set("monitoring.prometheus.port", 0)
        #expect(config.int("monitoring.prometheus.port") == 0)
        #expect(throws: ConfigError.self) { try config.set("monitoring.prometheus.port", 70000) }
        #expect(throws: ConfigError.self) { try config.set("monitoring.prometheus.prot", 1) }
        #expect(throws: ConfigError.self) { try config.set("monitoring.alerts.webhook.url", "https://x") }
        try config.set("monitoring.diversity_monitor.diversity_collapse_window", 7)
        #expect(config.int("monitoring.alerts.diversity_collapse.window") == 7)
    }

    @Test func overridesTextSetsDottedPaths() throws {
        var config = MonitoringConfig.defaults
        try config.apply(overrides: "{\"monitoring.prometheus.port\": 0, \"monitoring.export.enabled\": false}")
        #expect(config.int("monitoring.prometheus.port") == 0 && !config.bool("monitoring.export.enabled"))
        do {
            try config.apply(overrides: "{\"monitoring.prometheus.prot\": 0}", name: "start()")
            Issue.record("an unknown override was accepted")
        } catch {
            #expect(error.description.hasPrefix("start():1: monitoring.prometheus.prot: unknown key"))
        }
        #expect(throws: ConfigError.self) { try config.apply(overrides: "{\"monitoring.prometheus.port\": -1}") }
    }
}
