/// Every setting of `monitoring_config.yaml`, one row each: the loader, its validation,
/// the values handed to Python, `config/monitoring_config.yaml` and the README's settings
/// table are all made from this list.
///
/// The original design's keys come first in each section, with its names, units and
/// defaults; finmon's own follow, named in the same style (durations in seconds without
/// a unit suffix, as the design's intervals). Adding a setting is adding a row here
/// (then `swift test` says to regenerate the committed YAML and README table), and
/// reading it where it is used: `config.int("monitoring.prometheus.max_connections")`.
public enum ConfigTable {
    public static let keys: [ConfigKey] = [
        // monitoring
        ConfigKey("monitoring.enabled", .bool, .bool(true),
                  "master switch: false starts nothing and makes every hook a no-op", design: true),
        ConfigKey("monitoring.strict", .bool, .bool(false),
                  "hooks raise on values they cannot use instead of counting and skipping them (for tests)"),
        ConfigKey("monitoring.multiprocess", .bool, .bool(false),
                  "worker processes' updates appear in this exporter (finmon.attach() in spawned ones)"),
        ConfigKey("monitoring.multiprocess_gauge_mode", .choice(GaugeMode.allCases.map(\.rawValue)), .string("latest"),
                  "how a gauge set in several processes is shown: latest, sum, max, min over live ones, or one series per worker"),

        // monitoring.prometheus
        ConfigKey("monitoring.prometheus.port", .integer(min: 0, max: 65535), .int(8000),
                  "port of the exporter; 0 picks a free one", design: true),
        ConfigKey("monitoring.prometheus.metrics_path", .urlPath, .string("/metrics"),
                  "path the exporter serves the exposition at", design: true),
        ConfigKey("monitoring.prometheus.scrape_interval", .seconds(ConfigBounds(0.1, 3600)), .number(5),
                  "seconds; how often Prometheus scrapes (written into the generated prometheus.yml)", design: true),
        ConfigKey("monitoring.prometheus.enabled", .bool, .bool(true),
                  "serve the exposition over HTTP"),
        ConfigKey("monitoring.prometheus.address", .host, .string("127.0.0.1"),
                  "listen address; \"0.0.0.0\" exposes the exporter to the network"),
        ConfigKey("monitoring.prometheus.retry_interval", .seconds(ConfigBounds(0.1, 3600)), .number(5),
                  "seconds between attempts to bind a port that is in use"),
        ConfigKey("monitoring.prometheus.max_connections", .integer(min: 1, max: 65_536),
                  .int(ExporterLimits.default.maxConnections),
                  "exporter connections open at once; past it the one waiting longest for a request is closed"),
        ConfigKey("monitoring.prometheus.read_timeout_seconds", .seconds(ConfigBounds(0.1, 300)),
                  .number(ExporterLimits.default.readTimeoutSeconds),
                  "seconds a new exporter connection has to send a whole request"),
        ConfigKey("monitoring.prometheus.idle_timeout_seconds", .seconds(ConfigBounds(0.1, 3600)),
                  .number(ExporterLimits.default.idleTimeoutSeconds),
                  "seconds a keep-alive exporter connection may wait for its next request"),
        ConfigKey("monitoring.prometheus.web_config_file", .optionalString, .null,
                  "exporter-toolkit web config (tls_server_config, basic_auth_users) the exporter serves behind; null: plain HTTP"),
        ConfigKey("monitoring.prometheus.job_name", .string, .string("finmon"),
                  "job of the generated prometheus.yml and rules; the `job` label of every alert finmon sends"),
        ConfigKey("monitoring.prometheus.instance", .optionalString, .null,
                  "`instance` label of the scrape target and of every alert finmon sends; null: address:port"),
        ConfigKey("monitoring.prometheus.file_sd_path", .optionalString, .null,
                  "Prometheus file_sd target file this loop announces its exporter in (removed at stop); null: none"),
        ConfigKey("monitoring.prometheus.run_id", .optionalString, .null,
                  "`run_id` label of the announced target and of finmon's alerts; null: a new one at each start"),

        // monitoring.resource_monitor
        ConfigKey("monitoring.resource_monitor.enabled", .bool, .bool(true),
                  "sample host CPU, memory and disk and this process on the library's thread", design: true),
        ConfigKey("monitoring.resource_monitor.collection_interval",
                  .seconds(ConfigBounds(ResourceMonitor.intervalRange.lowerBound, ResourceMonitor.intervalRange.upperBound)),
                  .number(5), "seconds between resource samples", design: true),
        ConfigKey("monitoring.resource_monitor.disk_path", .string, .string("/"),
                  "file system whose usage is reported"),
        ConfigKey("monitoring.resource_monitor.rss_growth_window", .seconds(ConfigBounds(1, 86_400)), .number(300),
                  "seconds over which the growth of the process' resident memory is measured"),

        // monitoring.diversity_monitor
        ConfigKey("monitoring.diversity_monitor.enabled", .bool, .bool(true),
                  "record population diversity, champion updates and staleness", design: true),
        ConfigKey("monitoring.diversity_monitor.diversity_collapse_threshold", .number(.fraction), .number(0.1),
                  "collapse: diversity below this; alerts.diversity_collapse.threshold wins if both are set",
                  design: true),
        ConfigKey("monitoring.diversity_monitor.diversity_collapse_window", .integer(min: 1, max: 1_000_000), .int(5),
                  "collapse: for this many recorded iterations; alerts.diversity_collapse.window wins if both are set",
                  design: true),
        ConfigKey("monitoring.diversity_monitor.history_size", .integer(min: 1, max: 10_000_000), .int(1000),
                  "diversity values kept in memory"),

        // monitoring.container_monitor
        ConfigKey("monitoring.container_monitor.enabled", .bool, .bool(true),
                  "watch sandbox containers through the Docker Engine API", design: true),
        ConfigKey("monitoring.container_monitor.stats_collection_interval", .seconds(ConfigBounds(0.01, 86_400)),
                  .number(10), "seconds between container stats and orphan scans", design: true),
        ConfigKey("monitoring.container_monitor.docker_host", .optionalString, .null,
                  "engine address (unix:///path, tcp://host:port); null: DOCKER_HOST, then the default socket"),
        ConfigKey("monitoring.container_monitor.label", .string, .string("finlab-sandbox"),
                  "only containers carrying this label (key or key=value) are watched"),
        ConfigKey("monitoring.container_monitor.orphan_statuses", .list(dockerStatuses), .strings(["exited", "dead"]),
                  "states that make a labelled container an orphan"),
        ConfigKey("monitoring.container_monitor.request_timeout", .seconds(ConfigBounds(0.01, 300)), .number(2),
                  "seconds an engine request may take before it is given up"),

        // monitoring.alerts
        ConfigKey("monitoring.alerts.enabled", .bool, .bool(true),
                  "evaluate the alert rules on the library's thread", design: true),
        ConfigKey("monitoring.alerts.evaluation_interval", .seconds(ConfigBounds(0.01, 86_400)), .number(10),
                  "seconds between alert evaluations", design: true),
        ConfigKey("monitoring.alerts.memory_threshold_percent", .number(.percent), .number(80),
                  "high_memory: system memory use above this percentage", design: true),
        ConfigKey("monitoring.alerts.cpu_threshold_percent", .number(.percent), .number(90),
                  "high_cpu: system CPU use above this percentage", design: true),
        ConfigKey("monitoring.alerts.diversity_collapse.threshold", .number(.fraction), .number(0.1),
                  "diversity_collapse: the last `window` diversity values all below this", design: true),
        ConfigKey("monitoring.alerts.diversity_collapse.window", .integer(min: 1, max: 1_000_000), .int(5),
                  "diversity_collapse: recorded iterations that must all be below the threshold", design: true),
        ConfigKey("monitoring.alerts.champion_staleness.threshold_iterations", .integer(min: 1, max: 1_000_000_000),
                  .int(20), "champion_staleness: iterations without a new champion", design: true),
        ConfigKey("monitoring.alerts.success_rate.threshold_percent", .number(.percent), .number(20),
                  "low_success_rate: successful iterations below this percentage of the window", design: true),
        ConfigKey("monitoring.alerts.success_rate.window_iterations", .integer(min: 1, max: 1_000_000), .int(10),
                  "iterations of the rolling success rate (the strategy_success_rate gauge and the alert)",
                  design: true),
        ConfigKey("monitoring.alerts.orphaned_containers.threshold", .integer(min: 1, max: 1_000_000), .int(3),
                  "orphaned_containers: at least this many orphaned sandbox containers", design: true),
        ConfigKey("monitoring.alerts.orphaned_containers.auto_cleanup", .bool, .bool(true),
                  "remove orphaned sandbox containers once the threshold is reached", design: true),
        ConfigKey("monitoring.alerts.log_file", .optionalString, .string("alerts.jsonl"),
                  "JSON-lines log of every alert event; null disables it"),
        ConfigKey("monitoring.alerts.memory_leak.horizon", .seconds(ConfigBounds(60, 2_592_000)), .number(3600),
                  "memory_leak: seconds within which the RSS trend (rss_growth_window) reaches the memory limit"),
        ConfigKey("monitoring.alerts.loop_stuck.expected_iteration_time", .seconds(ConfigBounds(0.001, 86_400)),
                  .number(60), "loop_stuck: seconds one iteration is expected to take"),
        ConfigKey("monitoring.alerts.loop_stuck.multiple", .number(ConfigBounds(1, 10_000)), .number(10),
                  "loop_stuck: no iteration recorded for this multiple of the expected iteration time"),
        ConfigKey("monitoring.alerts.hysteresis.high_memory", .number(ConfigBounds(0, 100)), .number(5),
                  "high_memory resolves only at or below its threshold minus this many percentage points"),
        ConfigKey("monitoring.alerts.hysteresis.high_cpu", .number(ConfigBounds(0, 100)), .number(10),
                  "high_cpu resolves only at or below its threshold minus this many percentage points"),
    ] + severityKeys + forSecondsKeys + [
        ConfigKey("monitoring.alerts.alertmanager.url", .sendURL, .null,
                  "Prometheus Alertmanager (API v2) to send alerts to, e.g. \"http://127.0.0.1:9093\"; null: none"),
        ConfigKey("monitoring.alerts.alertmanager.resend_interval", .seconds(ConfigBounds(1, 86_400)), .number(60),
                  "seconds between re-sends of firing alerts, so Alertmanager does not expire them"),
        ConfigKey("monitoring.alerts.alertmanager.labels", .labels(reserved: reservedAlertLabels), .labels([:]),
                  "extra labels on every alert finmon sends and on the generated scrape target, e.g. {env: prod}"),
        ConfigKey("monitoring.alerts.webhook.url", .sendURL, .null,
                  "generic webhook receiving each alert event as JSON; null: none"),

        // monitoring.export
        ConfigKey("monitoring.export.final_metrics_path", .string, .string("metrics_final.json"),
                  "every metric, the active alerts and the run, as JSON, written at stop", design: true),
        ConfigKey("monitoring.export.prometheus_snapshot_path", .string, .string("prometheus_metrics_final.txt"),
                  "the last exposition in Prometheus text format, written at stop", design: true),
        ConfigKey("monitoring.export.report_path", .string, .string("report.html"),
                  "the run's panels, alert timeline and summary as one HTML page, written at stop"),
        ConfigKey("monitoring.export.retention_days", .integer(min: 1, max: 36_500), .int(30),
                  "days of metrics the Prometheus of `python -m finmon stack` keeps (~1 GB for 30 days at 5 s)",
                  design: true),
        ConfigKey("monitoring.export.enabled", .bool, .bool(true),
                  "write the two final files at stop"),
        ConfigKey("monitoring.export.directory", .string, .string("."),
                  "folder the final files are written into (relative paths are taken from it)"),

        // grafana
        ConfigKey("grafana.dashboard_path", .string, .string("config/grafana_dashboard.json"),
                  "where `python -m finmon dashboard` output belongs", design: true),
        ConfigKey("grafana.datasource_url", .url, .string("http://localhost:9090"),
                  "Prometheus URL: the dashboard's datasource and where `python -m finmon stack` serves it",
                  design: true),
        ConfigKey("grafana.refresh_interval", .duration, .string("5s"),
                  "dashboard auto-refresh", design: true),
        ConfigKey("grafana.datasource_name", .string, .string("DS_PROMETHEUS"),
                  "name of the dashboard's datasource input, asked for on import"),
    ]

    /// The states the Docker Engine API reports; orphan statuses must be among them.
    public static let dockerStatuses = ["created", "restarting", "running", "removing", "paused", "exited", "dead"]

    /// The alert labels finmon sets itself, which `alertmanager.labels` may not override
    /// (`job` and `instance` have keys of their own under `monitoring.prometheus`).
    public static let reservedAlertLabels = ["alertname", "alert_type", "severity", "job", "instance", "run_id", "host"]

    /// Every alert name of the rule file: the in-process ones, then the target's.
    public static let alertNames = AlertType.allCases.map(\.rawValue) + TargetAlert.allCases.map(\.rawValue)

    private static let defaultSeverities: [String: Severity] = [
        "high_memory": .critical, "low_success_rate": .critical,
        "loop_stuck": .critical, "loop_down": .critical, "loop_absent": .critical,
    ]

    /// Hold-downs (Prometheus' `for:`), in seconds, where 0 is not the default. The resource
    /// alerts read noisy host samples: CPU above 90% for a few minutes is a busy 2-core
    /// machine, not exhaustion. A leak forecast needs longer than its growth window, so a
    /// single allocation step (which leaves the window after it) cannot fire it. A target
    /// that misses one scrape, or a restart, is not a dead loop. The iteration-counted alerts
    /// need none: their windows are iterations.
    private static let defaultForSeconds: [String: Double] = [
        "high_memory": 120, "high_cpu": 300, "memory_leak": 600, "loop_down": 60, "loop_absent": 60,
    ]

    private static let severityKeys: [ConfigKey] = alertNames.map { name in
        ConfigKey("monitoring.alerts.severities.\(name)", .choice(Severity.allCases.map(\.rawValue)),
                  .string((defaultSeverities[name] ?? .warning).rawValue), "severity of \(name) alerts")
    }

    private static let forSecondsKeys: [ConfigKey] = alertNames.map { name in
        ConfigKey("monitoring.alerts.for_seconds.\(name)", .seconds(ConfigBounds(0, 86_400)),
                  .number(defaultForSeconds[name] ?? 0),
                  "seconds \(name)'s condition must hold before it fires (Prometheus' for:)")
    }

    /// The bounds of the integer setting at `path`, for APIs that take the same value
    /// outside a config file (so they accept exactly what the file accepts).
    public static func integerRange(_ path: String) -> ClosedRange<Int> {
        guard case .integer(let min, let max)? = key(path)?.type else { return 1...1 }
        return min...max
    }

    /// The bounds of the number or seconds setting at `path`, for APIs that take the same
    /// value outside a config file (a retry interval given to `start_http_server`).
    public static func secondsBounds(_ path: String) -> ConfigBounds {
        switch key(path)?.type {
        case .seconds(let bounds)?, .number(let bounds)?: return bounds
        default: return ConfigBounds(0, 0)
        }
    }

    /// The row of `path`, nil when there is none.
    public static func key(_ path: String) -> ConfigKey? { byPath[path] }

    static let byPath: [String: ConfigKey] = Dictionary(keys.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })

    /// Section paths (every proper prefix of a key's path), with the keys directly under each.
    static let children: [String: [String]] = {
        var result: [String: [String]] = [:]
        for key in keys {
            let parts = key.path.split(separator: ".").map(String.init)
            var prefix = ""
            for part in parts {
                if !(result[prefix]?.contains(part) ?? false) { result[prefix, default: []].append(part) }
                prefix = prefix.isEmpty ? part : "\(prefix).\(part)"
            }
        }
        return result
    }()
}
