"""The metric catalog as Python attributes: which attribute of a
:class:`~finmon.MetricsCollector` holds which of the library's catalog metrics.

Example:
    >>> from finmon.collector import CATALOG
    >>> CATALOG["population_diversity"]
    'population_diversity'
"""

from __future__ import annotations

__all__ = ["ALIASES", "CATALOG"]

#: Attribute name -> metric name of the original design's catalog (and finmon's additions).
CATALOG: dict[str, str] = {
    "system_memory_usage": "system_memory_usage_bytes",
    "system_memory_total": "system_memory_total_bytes",
    "system_memory_limit": "system_memory_limit_bytes",
    "system_cpu_usage": "system_cpu_usage_percent",
    "system_disk_usage": "system_disk_usage_bytes",
    "system_disk_total": "system_disk_total_bytes",
    "system_disk_usage_percent": "system_disk_usage_percent",
    "execution_time": "execution_time_seconds",
    "strategy_success": "strategy_success_total",
    "strategy_failure": "strategy_failure_total",
    "strategy_success_rate": "strategy_success_rate",
    "strategy_sharpe_ratio": "strategy_sharpe_ratio",
    "strategy_max_drawdown": "strategy_max_drawdown",
    "population_diversity": "population_diversity",
    "unique_strategy_count": "unique_strategy_count",
    "population_size": "population_size",
    "champion_staleness": "champion_staleness_iterations",
    "champion_updates": "champion_updates_total",
    "champion_sharpe_ratio": "champion_sharpe_ratio",
    "loop_iteration": "loop_iteration",
    "active_containers": "active_containers",
    "orphaned_containers": "orphaned_containers",
    "container_memory_usage": "container_memory_usage_bytes",
    "container_cpu_usage": "container_cpu_usage_percent",
    "container_cleanup_success": "container_cleanup_success_total",
    "container_cleanup_failure": "container_cleanup_failure_total",
    "alerts_triggered_total": "alerts_triggered_total",
    "alert_active": "alert_active",
    "alert_notifications": "alert_notifications_total",
    "collection_errors": "finmon_collection_errors_total",
    "rejected_values": "finmon_rejected_values_total",
    "alert_log_errors": "finmon_alert_log_errors_total",
    "exporter_connections_rejected": "finmon_exporter_connections_rejected_total",
}

#: Names earlier releases gave catalog attributes -> the original design's name, kept as aliases.
ALIASES: dict[str, str] = {"alerts_triggered": "alerts_triggered_total"}
