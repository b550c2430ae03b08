/// finmon's whole configuration, as read from `config/monitoring_config.yaml`.
///
/// Every field has the default of the original design, so a config file only needs the
/// keys it changes and an empty file means `MonitoringConfig.defaults`. The YAML keys are
/// the snake_case forms of these property names (`rssGrowthWindowSeconds` is
/// `rss_growth_window_seconds`). Durations are seconds as `Double`; counts are `Int`.
public struct MonitoringConfig: Sendable, Equatable {
    public var monitoring = Monitoring()
    public var alerts = Alerts()
    public var export = Export()
    public var grafana = Grafana()

    public init() {}

    public static let defaults = MonitoringConfig()

    public struct Monitoring: Sendable, Equatable {
        public var enabled = true
        public var prometheus = Prometheus()
        public var resourceMonitor = ResourceMonitor()
        public var diversityMonitor = DiversityMonitor()
        public var containerMonitor = ContainerMonitor()
        public var loop = Loop()
        public init() {}
    }

    public struct Prometheus: Sendable, Equatable {
        public var enabled = true
        /// 0 asks the OS for a free port.
        public var port = 8000
        public var address = "127.0.0.1"
        public var scrapeIntervalSeconds = 5.0
        public init() {}
    }

    public struct ResourceMonitor: Sendable, Equatable {
        public var enabled = true
        public var intervalSeconds = 5.0
        public var diskPath = "/"
        public var rssGrowthWindowSeconds = 300.0
        public init() {}
    }

    public struct DiversityMonitor: Sendable, Equatable {
        public var enabled = true
        public var historySize = 1000
        public init() {}
    }

    public struct ContainerMonitor: Sendable, Equatable {
        public var enabled = true
        /// nil: the platform default (`DOCKER_HOST`, then the usual unix sockets).
        public var dockerHost: String? = nil
        public var label = "finlab-sandbox"
        public var orphanStatuses = ["exited", "dead"]
        public var statsCollectionIntervalSeconds = 10.0
        public var requestTimeoutSeconds = 2.0
        public init() {}

        /// The states the Docker Engine API reports; orphan statuses must be among them.
        public static let dockerStatuses = ["created", "restarting", "running", "removing", "paused", "exited", "dead"]
    }

    public struct Loop: Sendable, Equatable {
        /// Iterations the strategy success rate is computed over.
        public var successWindow = 10
        public init() {}
    }

    public struct Alerts: Sendable, Equatable {
        public var enabled = true
        public var evaluationIntervalSeconds = 5.0
        /// nil: no JSON-lines alert log.
        public var logFile: String? = "alerts.jsonl"
        public var memoryThresholdPercent = 80.0
        public var cpuThresholdPercent = 90.0
        public var diversityCollapse = DiversityCollapse()
        public var championStaleness = ChampionStaleness()
        public var successRate = SuccessRate()
        public var orphanedContainers = OrphanedContainers()
        public var severities = PerAlertType<Severity>(
            highMemory: .critical, highCPU: .warning, diversityCollapse: .warning,
            championStaleness: .warning, lowSuccessRate: .critical, orphanedContainers: .warning)
        /// How long a condition must hold before its alert fires (Prometheus' `for:`); 0 fires at once.
        public var forSeconds = PerAlertType<Double>(repeating: 0)
        public var alertmanager = Alertmanager()
        public var webhook = Webhook()
        public init() {}
    }

    public struct DiversityCollapse: Sendable, Equatable {
        public var threshold = 0.1
        /// Consecutive recorded diversity values (iterations) that must all be below the threshold.
        public var window = 5
        public init() {}
    }

    public struct ChampionStaleness: Sendable, Equatable {
        public var thresholdIterations = 20
        public init() {}
    }

    public struct SuccessRate: Sendable, Equatable {
        public var thresholdPercent = 20.0
        public var windowIterations = 10
        public init() {}
    }

    public struct OrphanedContainers: Sendable, Equatable {
        public var threshold = 3
        public var autoCleanup = true
        public init() {}
    }

    public struct Alertmanager: Sendable, Equatable {
        /// Base URL such as `http://127.0.0.1:9093`; nil disables sending.
        public var url: String? = nil
        public var resendIntervalSeconds = 60.0
        /// Extra labels on every alert sent (Prometheus' `external_labels`): `env: prod`.
        /// `instance` replaces the host name finmon sets by default.
        public var labels: [String: String] = [:]
        public init() {}

        /// The labels finmon sets itself and a config may not override.
        public static let reservedLabels = ["alertname", "alert_type", "severity"]
    }

    public struct Webhook: Sendable, Equatable {
        /// nil disables the webhook.
        public var url: String? = nil
        public init() {}
    }

    public struct Export: Sendable, Equatable {
        public var directory = "."
        public var jsonFile = "metrics_final.json"
        public var prometheusFile = "prometheus_metrics_final.txt"
        public var retentionDays = 15
        public init() {}
    }

    public struct Grafana: Sendable, Equatable {
        public var dashboardFile = "config/grafana_dashboard.json"
        public var datasource = "DS_PROMETHEUS"
        public init() {}
    }
}
