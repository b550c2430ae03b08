/// The metric catalog of the original design, with its exact names and types, plus the
/// few families finmon adds (disk, success rate, its own health). Registered once per
/// collector; the monitors write to these families directly.
public struct MetricsCatalog: Sendable {
    /// Backtests take from a fraction of a second to minutes.
    public static let executionTimeBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

    // Resources
    public let systemMemoryUsageBytes: MetricFamily
    public let systemMemoryTotalBytes: MetricFamily
    public let systemMemoryLimitBytes: MetricFamily
    public let systemCPUUsagePercent: MetricFamily
    public let systemDiskUsageBytes: MetricFamily
    public let systemDiskTotalBytes: MetricFamily
    public let systemDiskUsagePercent: MetricFamily
    // This process, with prometheus_client's ProcessCollector names and meanings
    public let processCPUSecondsTotal: MetricFamily
    public let processResidentMemoryBytes: MetricFamily
    public let processVirtualMemoryBytes: MetricFamily
    public let processOpenFDs: MetricFamily
    public let processMaxFDs: MetricFamily
    public let processStartTimeSeconds: MetricFamily
    public let processResidentMemoryGrowthBytesPerSecond: MetricFamily
    // Loop
    public let executionTimeSeconds: MetricFamily
    public let strategySuccessTotal: MetricFamily
    public let strategyFailureTotal: MetricFamily
    public let strategySuccessRate: MetricFamily
    public let strategySharpeRatio: MetricFamily
    public let strategyMaxDrawdown: MetricFamily
    // Diversity and champion
    public let populationDiversity: MetricFamily
    public let uniqueStrategyCount: MetricFamily
    public let populationSize: MetricFamily
    public let championStalenessIterations: MetricFamily
    public let championUpdatesTotal: MetricFamily
    public let championSharpeRatio: MetricFamily
    public let loopIteration: MetricFamily
    // Containers
    public let activeContainers: MetricFamily
    public let orphanedContainers: MetricFamily
    public let containerMemoryUsageBytes: MetricFamily
    public let containerCPUUsagePercent: MetricFamily
    public let containerCleanupSuccessTotal: MetricFamily
    public let containerCleanupFailureTotal: MetricFamily
    public let containerStatsCycleSeconds: MetricFamily
    // Alerts
    public let alertsTriggeredTotal: MetricFamily
    public let alertActive: MetricFamily
    public let alertNotificationsTotal: MetricFamily
    // finmon's own health
    public let collectionErrorsTotal: MetricFamily
    public let rejectedValuesTotal: MetricFamily

    public init(registry r: MetricsRegistry) throws(MetricsError) {
        systemMemoryUsageBytes = try r.register(.gauge, name: "system_memory_usage_bytes",
            help: "Memory in use on the host (MemTotal - MemAvailable), in bytes.")
        systemMemoryTotalBytes = try r.register(.gauge, name: "system_memory_total_bytes",
            help: "Total memory of the host (MemTotal, as psutil reports it, also inside a container), in bytes.")
        systemMemoryLimitBytes = try r.register(.gauge, name: "system_memory_limit_bytes",
            help: "Memory this process may use: its cgroup memory limit when one is set below MemTotal, else MemTotal, in bytes.")
        systemCPUUsagePercent = try r.register(.gauge, name: "system_cpu_usage_percent",
            help: "Host CPU busy time since the previous sample, in percent of all CPUs (psutil.cpu_percent).")
        systemDiskUsageBytes = try r.register(.gauge, name: "system_disk_usage_bytes",
            help: "Bytes used on the monitored filesystem.")
        systemDiskTotalBytes = try r.register(.gauge, name: "system_disk_total_bytes",
            help: "Size of the monitored filesystem, in bytes.")
        systemDiskUsagePercent = try r.register(.gauge, name: "system_disk_usage_percent",
            help: "Used space of the monitored filesystem in percent of what non-root users can use (psutil.disk_usage).")
        processCPUSecondsTotal = try r.register(.counter, name: "process_cpu_seconds_total",
            help: "Total user and system CPU time spent in seconds.")
        processResidentMemoryBytes = try r.register(.gauge, name: "process_resident_memory_bytes",
            help: "Resident memory size in bytes.")
        processVirtualMemoryBytes = try r.register(.gauge, name: "process_virtual_memory_bytes",
            help: "Virtual memory size in bytes.")
        processOpenFDs = try r.register(.gauge, name: "process_open_fds",
            help: "Number of open file descriptors.")
        processMaxFDs = try r.register(.gauge, name: "process_max_fds",
            help: "Maximum number of open file descriptors.")
        processStartTimeSeconds = try r.register(.gauge, name: "process_start_time_seconds",
            help: "Start time of the process since unix epoch in seconds.")
        processResidentMemoryGrowthBytesPerSecond = try r.register(.gauge,
            name: "process_resident_memory_growth_bytes_per_second",
            help: "Least-squares slope of the resident memory over the resource monitor's growth window (default 300 s), in bytes per second.")
        executionTimeSeconds = try r.register(.histogram, name: "execution_time_seconds",
            help: "Wall-clock time of one loop iteration (generate, backtest, select), in seconds.",
            buckets: Self.executionTimeBuckets)
        strategySuccessTotal = try r.register(.counter, name: "strategy_success_total",
            help: "Iterations whose strategy backtested successfully.")
        strategyFailureTotal = try r.register(.counter, name: "strategy_failure_total",
            help: "Iterations whose strategy failed (error, invalid result, timeout).")
        strategySuccessRate = try r.register(.gauge, name: "strategy_success_rate",
            help: "Fraction of successful iterations over the rolling window (0..1).")
        strategySharpeRatio = try r.register(.gauge, name: "strategy_sharpe_ratio",
            help: "Sharpe ratio of the latest backtested strategy.")
        strategyMaxDrawdown = try r.register(.gauge, name: "strategy_max_drawdown",
            help: "Maximum drawdown of the latest backtested strategy (a negative fraction).")
        populationDiversity = try r.register(.gauge, name: "population_diversity",
            help: "Diversity of the strategy population (0 = identical, 1 = maximally spread).")
        uniqueStrategyCount = try r.register(.gauge, name: "unique_strategy_count",
            help: "Distinct strategies in the population.")
        populationSize = try r.register(.gauge, name: "population_size",
            help: "Strategies in the population.")
        championStalenessIterations = try r.register(.gauge, name: "champion_staleness_iterations",
            help: "Iterations since the champion (best Sharpe ratio) last changed.")
        championUpdatesTotal = try r.register(.counter, name: "champion_updates_total",
            help: "Times a new champion replaced the old one.")
        championSharpeRatio = try r.register(.gauge, name: "champion_sharpe_ratio",
            help: "Sharpe ratio of the current champion.")
        loopIteration = try r.register(.gauge, name: "loop_iteration",
            help: "The latest iteration number the loop recorded.")
        activeContainers = try r.register(.gauge, name: "active_containers",
            help: "Sandbox containers created and not yet cleaned up.")
        orphanedContainers = try r.register(.gauge, name: "orphaned_containers",
            help: "Sandbox containers with the sandbox label that exited and were left behind.")
        containerMemoryUsageBytes = try r.register(.gauge, name: "container_memory_usage_bytes",
            help: "Memory of a sandbox container without its inactive page cache (as docker stats shows), in bytes.",
            labelNames: ["container_id"])
        containerCPUUsagePercent = try r.register(.gauge, name: "container_cpu_usage_percent",
            help: "CPU of a sandbox container since the previous sample, in percent of one CPU times online CPUs (docker stats).",
            labelNames: ["container_id"])
        containerCleanupSuccessTotal = try r.register(.counter, name: "container_cleanup_success_total",
            help: "Sandbox containers removed successfully.")
        containerCleanupFailureTotal = try r.register(.counter, name: "container_cleanup_failure_total",
            help: "Sandbox container removals that failed.")
        containerStatsCycleSeconds = try r.register(.gauge, name: "finmon_container_stats_cycle_seconds",
            help: "Duration of the latest container polling cycle (orphan scan and stats of every tracked container), in seconds.")
        alertsTriggeredTotal = try r.register(.counter, name: "alerts_triggered_total",
            help: "Alerts that started firing, by type.", labelNames: ["alert_type"])
        alertActive = try r.register(.gauge, name: "alert_active",
            help: "1 while an alert of this type is firing, else 0.", labelNames: ["alert_type"])
        alertNotificationsTotal = try r.register(.counter, name: "alert_notifications_total",
            help: "Alert notifications sent, by receiver and result.", labelNames: ["receiver", "result"])
        collectionErrorsTotal = try r.register(.counter, name: "finmon_collection_errors_total",
            help: "Samples finmon could not collect, by collector.", labelNames: ["collector"])
        rejectedValuesTotal = try r.register(.counter, name: "finmon_rejected_values_total",
            help: "Values a loop hook could not use and skipped, by hook and reason.", labelNames: ["hook", "reason"])
    }
}
