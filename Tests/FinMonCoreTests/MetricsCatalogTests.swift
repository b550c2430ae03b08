import Testing
@testable import FinMonCore

/// The catalog's names, types and labels, written out by hand so a rename shows up here.
private let expectedFamilies: [(name: String, type: MetricType, labels: [String])] = [
    ("system_memory_usage_bytes", .gauge, []),
    ("system_memory_total_bytes", .gauge, []),
    ("system_memory_limit_bytes", .gauge, []),
    ("system_cpu_usage_percent", .gauge, []),
    ("system_disk_usage_bytes", .gauge, []),
    ("system_disk_total_bytes", .gauge, []),
    ("system_disk_usage_percent", .gauge, []),
    ("process_cpu_seconds_total", .counter, []),
    ("process_resident_memory_bytes", .gauge, []),
    ("process_virtual_memory_bytes", .gauge, []),
    ("process_open_fds", .gauge, []),
    ("process_max_fds", .gauge, []),
    ("process_start_time_seconds", .gauge, []),
    ("process_resident_memory_growth_bytes_per_second", .gauge, []),
    ("execution_time_seconds", .histogram, []),
    ("strategy_success_total", .counter, []),
    ("strategy_failure_total", .counter, []),
    ("strategy_success_rate", .gauge, []),
    ("strategy_success_window_iterations", .gauge, []),
    ("strategy_sharpe_ratio", .gauge, []),
    ("strategy_max_drawdown", .gauge, []),
    ("population_diversity", .gauge, []),
    ("unique_strategy_count", .gauge, []),
    ("population_size", .gauge, []),
    ("champion_staleness_iterations", .gauge, []),
    ("champion_updates_total", .counter, []),
    ("champion_sharpe_ratio", .gauge, []),
    ("loop_iteration", .gauge, []),
    ("loop_last_iteration_timestamp_seconds", .gauge, []),
    ("population_diversity_window_max", .gauge, []),
    ("active_containers", .gauge, []),
    ("orphaned_containers", .gauge, []),
    ("container_memory_usage_bytes", .gauge, ["container_id"]),
    ("container_cpu_usage_percent", .gauge, ["container_id"]),
    ("container_cleanup_success_total", .counter, []),
    ("container_cleanup_failure_total", .counter, []),
    ("finmon_container_stats_cycle_seconds", .gauge, []),
    ("alerts_triggered_total", .counter, ["alert_type"]),
    ("alert_active", .gauge, ["alert_type"]),
    ("alert_notifications_total", .counter, ["receiver", "result"]),
    ("finmon_collection_errors_total", .counter, ["collector"]),
    ("finmon_rejected_values_total", .counter, ["hook", "reason"]),
    ("finmon_alert_log_errors_total", .counter, []),
    ("finmon_exporter_connections_rejected_total", .counter, ["reason"]),
]

@Test func everyCatalogFamilyIsRegisteredWithItsTypeAndLabels() throws {
    let registry = MetricsRegistry()
    _ = try MetricsCatalog(registry: registry)
    for expected in expectedFamilies {
        let family = try #require(registry.family(named: expected.name), "\(expected.name) is missing")
        #expect(family.type == expected.type, "\(expected.name)")
        #expect(family.labelNames == expected.labels, "\(expected.name)")
    }
    let registered = Set(registry.sortedFamilies().map(\.name))
    #expect(registered == Set(expectedFamilies.map(\.name) + [MetricsRegistry.droppedSeriesName]))
}

@Test func everyFamilyHasHelp() throws {
    let registry = MetricsRegistry()
    _ = try MetricsCatalog(registry: registry)
    for family in registry.sortedFamilies() {
        #expect(!family.help.isEmpty, "\(family.name) has no HELP")
        #expect(!family.help.contains("\n"), "\(family.name)")
    }
}

@Test func propertiesPointAtTheirFamilies() throws {
    let registry = MetricsRegistry()
    let catalog = try MetricsCatalog(registry: registry)
    // An unlabeled metric is its family's one series; a labeled one is the family itself.
    let series: [(Series, String)] = [
        (catalog.systemMemoryUsageBytes.series, "system_memory_usage_bytes"),
        (catalog.systemCPUUsagePercent.series, "system_cpu_usage_percent"),
        (catalog.executionTimeSeconds.series, "execution_time_seconds"),
        (catalog.strategySuccessTotal.series, "strategy_success_total"),
        (catalog.strategyFailureTotal.series, "strategy_failure_total"),
        (catalog.championUpdatesTotal.series, "champion_updates_total"),
    ]
    for (series, name) in series {
        #expect(series === registry.family(named: name)?.existingSeries([]), "\(name)")
    }
    let families: [(MetricFamily, String)] = [
        (catalog.containerMemoryUsageBytes.family, "container_memory_usage_bytes"),
        (catalog.alertNotificationsTotal.family, "alert_notifications_total"),
        (catalog.collectionErrorsTotal.family, "finmon_collection_errors_total"),
        (catalog.rejectedValuesTotal.family, "finmon_rejected_values_total"),
    ]
    for (family, name) in families {
        #expect(family === registry.family(named: name), "\(name)")
    }
}

@Test func executionTimeUsesBacktestSizedBuckets() throws {
    let registry = MetricsRegistry()
    let catalog = try MetricsCatalog(registry: registry)
    #expect(MetricsCatalog.executionTimeBuckets == [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600])
    #expect(catalog.executionTimeSeconds.snapshot().upperBounds == MetricsCatalog.executionTimeBuckets + [.infinity])
}

@Test func registeringTheCatalogTwiceReusesTheFamilies() throws {
    let registry = MetricsRegistry()
    let first = try MetricsCatalog(registry: registry)
    let second = try MetricsCatalog(registry: registry)
    #expect(first.loopIteration.series === second.loopIteration.series)
    #expect(first.alertActive.family === second.alertActive.family)
    #expect(registry.sortedFamilies().count == expectedFamilies.count + 1)
}

@Test func aConflictingEarlierRegistrationIsReported() throws {
    let registry = MetricsRegistry()
    try registry.register(.counter, name: "loop_iteration", help: "not a gauge")
    #expect(throws: MetricsError.conflictingRegistration(name: "loop_iteration", reason: "as a counter")) {
        try MetricsCatalog(registry: registry)
    }
}
