/// The layout of the releases before the original design's was adopted: where each of
/// its keys lives now. A file in that layout still loads, with one warning per old key.
enum ConfigMigration {
    /// Old path (or section) -> new path, applied to a written path until none matches.
    static let renames: [(old: String, new: String)] = [
        ("alerts", "monitoring.alerts"),
        ("export", "monitoring.export"),
        ("monitoring.loop.success_window", "monitoring.alerts.success_rate.window_iterations"),
        ("monitoring.prometheus.scrape_interval_seconds", "monitoring.prometheus.scrape_interval"),
        ("monitoring.resource_monitor.interval_seconds", "monitoring.resource_monitor.collection_interval"),
        ("monitoring.resource_monitor.rss_growth_window_seconds", "monitoring.resource_monitor.rss_growth_window"),
        ("monitoring.container_monitor.stats_collection_interval_seconds",
         "monitoring.container_monitor.stats_collection_interval"),
        ("monitoring.container_monitor.request_timeout_seconds", "monitoring.container_monitor.request_timeout"),
        ("monitoring.alerts.evaluation_interval_seconds", "monitoring.alerts.evaluation_interval"),
        ("monitoring.alerts.alertmanager.resend_interval_seconds", "monitoring.alerts.alertmanager.resend_interval"),
        ("monitoring.export.json_file", "monitoring.export.final_metrics_path"),
        ("monitoring.export.prometheus_file", "monitoring.export.prometheus_snapshot_path"),
        ("grafana.dashboard_file", "grafana.dashboard_path"),
        ("grafana.datasource", "grafana.datasource_name"),
    ]

    /// The path `written` stands for in the current layout (itself when it did not move).
    static func migrate(_ written: String) -> String {
        var path = written
        // Each rule applies at most once, so the chain ends (alerts.x -> monitoring.alerts.x -> ...).
        for (old, new) in renames {
            if path == old {
                path = new
            } else if path.hasPrefix(old + ".") {
                path = new + path.dropFirst(old.count)
            }
        }
        return path
    }

    /// True when `written` is a section of the old layout that holds moved keys
    /// (`monitoring.loop`), though the new layout has no such section.
    static func isOldSection(_ written: String) -> Bool {
        renames.contains { $0.old.hasPrefix(written + ".") }
    }
}
