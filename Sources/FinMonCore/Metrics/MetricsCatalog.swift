/// The metric catalog of the original design, with its exact names and types, plus the
/// few families finmon adds (disk, success rate, its own health). Registered once per
/// collector; the monitors write to these typed handles directly, so no write can fail
/// for a type reason (`catalog.populationDiversity.set(0.4)`).
public struct MetricsCatalog: Sendable {
    /// Backtests take from a fraction of a second to minutes.
    public static let executionTimeBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

    // Resources
    public let systemMemoryUsageBytes: Metric<Gauge>
    public let systemMemoryTotalBytes: Metric<Gauge>
    public let systemMemoryLimitBytes: Metric<Gauge>
    public let systemCPUUsagePercent: Metric<Gauge>
    public let systemDiskUsageBytes: Metric<Gauge>
    public let systemDiskTotalBytes: Metric<Gauge>
    public let systemDiskUsagePercent: Metric<Gauge>
    // This process, with prometheus_client's ProcessCollector names and meanings
    public let processCPUSecondsTotal: Metric<Counter>
    public let processResidentMemoryBytes: Metric<Gauge>
    public let processVirtualMemoryBytes: Metric<Gauge>
    public let processOpenFDs: Metric<Gauge>
    public let processMaxFDs: Metric<Gauge>
    public let processStartTimeSeconds: Metric<Gauge>
    public let processResidentMemoryGrowthBytesPerSecond: Metric<Gauge>
    // Loop
    public let executionTimeSeconds: Metric<Histogram>
    public let strategySuccessTotal: Metric<Counter>
    public let strategyFailureTotal: Metric<Counter>
    public let strategySuccessRate: Metric<Gauge>
    public let strategySuccessWindowIterations: Metric<Gauge>
    public let strategySharpeRatio: Metric<Gauge>
    public let strategyMaxDrawdown: Metric<Gauge>
    // Diversity and champion
    public let populationDiversity: Metric<Gauge>
    public let uniqueStrategyCount: Metric<Gauge>
    public let populationSize: Metric<Gauge>
    public let championStalenessIterations: Metric<Gauge>
    public let championUpdatesTotal: Metric<Counter>
    public let championSharpeRatio: Metric<Gauge>
    public let loopIteration: Metric<Gauge>
    public let loopLastIterationTimestampSeconds: Metric<Gauge>
    public let populationDiversityWindowMax: Metric<Gauge>
    // Containers
    public let activeContainers: Metric<Gauge>
    public let orphanedContainers: Metric<Gauge>
    public let containerMemoryUsageBytes: LabeledMetric<Gauge>
    public let containerCPUUsagePercent: LabeledMetric<Gauge>
    public let containerCleanupSuccessTotal: Metric<Counter>
    public let containerCleanupFailureTotal: Metric<Counter>
    public let containerStatsCycleSeconds: Metric<Gauge>
    // Alerts
    public let alertsTriggeredTotal: LabeledMetric<Counter>
    public let alertActive: LabeledMetric<Gauge>
    public let alertNotificationsTotal: LabeledMetric<Counter>
    // finmon's own health
    public let collectionErrorsTotal: LabeledMetric<Counter>
    public let rejectedValuesTotal: LabeledMetric<Counter>
    public let alertLogErrorsTotal: Metric<Counter>
    public let exporterConnectionsRejectedTotal: LabeledMetric<Counter>

    public init(registry r: MetricsRegistry) throws(MetricsError) {
        systemMemoryUsageBytes = try Self.metric(r, name: "system_memory_usage_bytes",
            help: "Memory in use on the host (MemTotal - MemAvailable), in bytes.")
        systemMemoryTotalBytes = try Self.metric(r, name: "system_memory_total_bytes",
            help: "Total memory of the host (MemTotal, as psutil reports it, also inside a container), in bytes.")
        systemMemoryLimitBytes = try Self.metric(r, name: "system_memory_limit_bytes",
            help: "Memory this process may use: its cgroup memory limit when one is set below MemTotal, else MemTotal, in bytes.")
        systemCPUUsagePercent = try Self.metric(r, name: "system_cpu_usage_percent",
            help: "Host CPU busy time since the previous sample, in percent of all CPUs (psutil.cpu_percent).")
        systemDiskUsageBytes = try Self.metric(r, name: "system_disk_usage_bytes",
            help: "Bytes used on the monitored filesystem.")
        systemDiskTotalBytes = try Self.metric(r, name: "system_disk_total_bytes",
            help: "Size of the monitored filesystem, in bytes.")
        systemDiskUsagePercent = try Self.metric(r, name: "system_disk_usage_percent",
            help: "Used space of the monitored filesystem in percent of what non-root users can use (psutil.disk_usage).")
        processCPUSecondsTotal = try Self.metric(r, name: "process_cpu_seconds_total",
            help: "Total user and system CPU time spent in seconds.")
        processResidentMemoryBytes = try Self.metric(r, name: "process_resident_memory_bytes",
            help: "Resident memory size in bytes.")
        processVirtualMemoryBytes = try Self.metric(r, name: "process_virtual_memory_bytes",
            help: "Virtual memory size in bytes.")
        processOpenFDs = try Self.metric(r, name: "process_open_fds",
            help: "Number of open file descriptors.")
        processMaxFDs = try Self.metric(r, name: "process_max_fds",
            help: "Maximum number of open file descriptors.")
        processStartTimeSeconds = try Self.metric(r, name: "process_start_time_seconds",
            help: "Start time of the process since unix epoch in seconds.")
        processResidentMemoryGrowthBytesPerSecond = try Self.metric(r,
            name: "process_resident_memory_growth_bytes_per_second",
            help: "Least-squares slope of the resident memory over the resource monitor's growth window (default 300 s), in bytes per second.")
        executionTimeSeconds = try Self.metric(r, name: "execution_time_seconds",
            help: "Wall-clock time of one loop iteration (generate, backtest, select), in seconds.",
            buckets: Self.executionTimeBuckets)
        strategySuccessTotal = try Self.metric(r, name: "strategy_success_total",
            help: "Iterations whose strategy backtested successfully.")
        strategyFailureTotal = try Self.metric(r, name: "strategy_failure_total",
            help: "Iterations whose strategy failed (error, invalid result, timeout).")
        strategySuccessRate = try Self.metric(r, name: "strategy_success_rate",
            help: "Fraction of successful iterations over the rolling window (0..1).")
        strategySuccessWindowIterations = try Self.metric(r, name: "strategy_success_window_iterations",
            help: "Iterations in the rolling success window so far; the low_success_rate rule waits until it is full.")
        strategySharpeRatio = try Self.metric(r, name: "strategy_sharpe_ratio",
            help: "Sharpe ratio of the latest backtested strategy.")
        strategyMaxDrawdown = try Self.metric(r, name: "strategy_max_drawdown",
            help: "Maximum drawdown of the latest backtested strategy (a negative fraction).")
        populationDiversity = try Self.metric(r, name: "population_diversity",
            help: "Diversity of the strategy population (0 = identical, 1 = maximally spread).")
        uniqueStrategyCount = try Self.metric(r, name: "unique_strategy_count",
            help: "Distinct strategies in the population.")
        populationSize = try Self.metric(r, name: "population_size",
            help: "Strategies in the population.")
        championStalenessIterations = try Self.metric(r, name: "champion_staleness_iterations",
            help: "Iterations since the champion (best Sharpe ratio) last changed.")
        championUpdatesTotal = try Self.metric(r, name: "champion_updates_total",
            help: "Times a new champion replaced the old one.")
        championSharpeRatio = try Self.metric(r, name: "champion_sharpe_ratio",
            help: "Sharpe ratio of the current champion.")
        loopIteration = try Self.metric(r, name: "loop_iteration",
            help: "The latest iteration number the loop recorded.")
        loopLastIterationTimestampSeconds = try Self.metric(r, name: "loop_last_iteration_timestamp_seconds",
            help: "When the loop last recorded an iteration (when monitoring started, before the first), in seconds since the epoch.")
        populationDiversityWindowMax = try Self.metric(r, name: "population_diversity_window_max",
            help: "Highest diversity over the last diversity_collapse window of recorded iterations; NaN until that many are recorded.")
        activeContainers = try Self.metric(r, name: "active_containers",
            help: "Sandbox containers created and not yet cleaned up.")
        orphanedContainers = try Self.metric(r, name: "orphaned_containers",
            help: "Sandbox containers with the sandbox label that exited and were left behind.")
        containerMemoryUsageBytes = try Self.labeled(r, name: "container_memory_usage_bytes",
            help: "Memory of a sandbox container without its inactive page cache (as docker stats shows), in bytes.",
            labelNames: ["container_id"])
        containerCPUUsagePercent = try Self.labeled(r, name: "container_cpu_usage_percent",
            help: "CPU of a sandbox container since the previous sample, in percent of one CPU times online CPUs (docker stats).",
            labelNames: ["container_id"])
        containerCleanupSuccessTotal = try Self.metric(r, name: "container_cleanup_success_total",
            help: "Sandbox containers removed successfully.")
        containerCleanupFailureTotal = try Self.metric(r, name: "container_cleanup_failure_total",
            help: "Sandbox container removals that failed.")
        containerStatsCycleSeconds = try Self.metric(r, name: "finmon_container_stats_cycle_seconds",
            help: "Duration of the latest container polling cycle (orphan scan and stats of every tracked container), in seconds.")
        alertsTriggeredTotal = try Self.labeled(r, name: "alerts_triggered_total",
            help: "Alerts that started firing, by type.", labelNames: ["alert_type"])
        alertActive = try Self.labeled(r, name: "alert_active",
            help: "1 while an alert of this type is firing, else 0.", labelNames: ["alert_type"])
        alertNotificationsTotal = try Self.labeled(r, name: "alert_notifications_total",
            help: "Alert notifications sent, by receiver and result.", labelNames: ["receiver", "result"])
        collectionErrorsTotal = try Self.labeled(r, name: "finmon_collection_errors_total",
            help: "Samples finmon could not collect, by collector.", labelNames: ["collector"])
        rejectedValuesTotal = try Self.labeled(r, name: "finmon_rejected_values_total",
            help: "Values a loop hook could not use and skipped, by hook and reason.", labelNames: ["hook", "reason"])
        alertLogErrorsTotal = try Self.metric(r, name: "finmon_alert_log_errors_total",
            help: "Appends to the alert log that failed (disk full, permissions); the alert_log_failing rule fires on it.")
        exporterConnectionsRejectedTotal = try Self.labeled(r, name: "finmon_exporter_connections_rejected_total",
            help: "Exporter connections closed by its limits or requests refused by its web config, by reason (connection_limit, read_timeout, idle_timeout, tls_handshake, unauthorized).",
            labelNames: ["reason"])
    }

    /// Registers an unlabeled family of the kind the property declares.
    private static func metric<Kind: MetricKind>(
        _ r: MetricsRegistry, name: String, help: String, buckets: [Double]? = nil
    ) throws(MetricsError) -> Metric<Kind> {
        try Metric(r.register(Kind.type, name: name, help: help, buckets: buckets))
    }

    private static func labeled<Kind: MetricKind>(
        _ r: MetricsRegistry, name: String, help: String, labelNames: [String]
    ) throws(MetricsError) -> LabeledMetric<Kind> {
        try LabeledMetric(r.register(Kind.type, name: name, help: help, labelNames: labelNames))
    }
}
