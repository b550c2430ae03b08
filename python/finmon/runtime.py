"""``finmon.start``: one call that wires everything from ``monitoring_config.yaml``.

It creates the collector, starts the exporter, the resource sampler, the container
monitor's polling and the alert evaluation as the config says, and returns a
:class:`Monitoring` whose hooks the loop calls and whose :meth:`Monitoring.stop` joins
every thread and writes the final record. With ``monitoring.enabled: false`` every hook
is a cheap no-op and nothing starts.

Example:
    >>> import finmon
    >>> monitoring = finmon.start(None, port=0, final_export=False)
    >>> monitoring.record_iteration(1, True, 0.25, sharpe=1.1)
    >>> monitoring.collector.get_sample_value("strategy_success_total")
    1.0
    >>> monitoring.stop()
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from types import TracebackType
from typing import Any

from .alerts import AlertManager
from .collector import MetricsCollector
from .config import MonitoringConfig
from .containers import ContainerMonitor
from .iteration import Iteration
from .monitors import DiversityMonitor
from .resources import ResourceMonitor

__all__ = ["Monitoring", "start"]


class Monitoring:
    """A running finmon, wired from a config. Use :func:`start` to make one."""

    def __init__(self, config: MonitoringConfig, collector: MetricsCollector | None, *,
                 docker_client: Any = None) -> None:
        self.config = config
        self.enabled = config.monitoring.enabled
        self.collector = collector
        self.diversity: DiversityMonitor | None = None
        self.resources: ResourceMonitor | None = None
        self.containers: ContainerMonitor | None = None
        self.alerts: AlertManager | None = None
        self.port: int | None = None
        self._docker_client = docker_client
        self._stopped = False

    # ---- hooks: each is a no-op when monitoring is disabled -------------------------

    def record_iteration(self, iteration: int, success: bool, execution_time_seconds: float,
                         sharpe: float | None = None, max_drawdown: float | None = None) -> None:
        """See :meth:`MetricsCollector.record_iteration`."""
        if self.collector is not None:
            self.collector.record_iteration(iteration, success, execution_time_seconds, sharpe, max_drawdown)

    def iteration(self, iteration: int) -> Iteration | nullcontext[None]:
        """See :meth:`MetricsCollector.iteration`; a do-nothing context when disabled."""
        if self.collector is None:
            return nullcontext()
        return self.collector.iteration(iteration)

    def record_diversity(self, iteration: int, diversity: float, unique_count: int, total_count: int) -> None:
        """See :meth:`DiversityMonitor.record_diversity`."""
        if self.diversity is not None:
            self.diversity.record_diversity(iteration, diversity, unique_count, total_count)

    def record_champion_update(self, iteration: int, old_sharpe: float | None, new_sharpe: float) -> None:
        """See :meth:`DiversityMonitor.record_champion_update`."""
        if self.diversity is not None:
            self.diversity.record_champion_update(iteration, old_sharpe, new_sharpe)

    def record_container_created(self, container_id: str) -> None:
        """See :meth:`ContainerMonitor.record_container_created`."""
        if self.containers is not None:
            self.containers.record_container_created(container_id)

    def record_container_stats(self, container_id: str) -> None:
        """See :meth:`ContainerMonitor.record_container_stats`."""
        if self.containers is not None:
            self.containers.record_container_stats(container_id)

    def record_container_cleanup(self, container_id: str, success: bool) -> None:
        """See :meth:`ContainerMonitor.record_container_cleanup`."""
        if self.containers is not None:
            self.containers.record_container_cleanup(container_id, success)

    @contextmanager
    def track(self, container: Any) -> Iterator[Any]:
        """See :meth:`ContainerMonitor.track`; yields the container unchanged when disabled."""
        if self.containers is None:
            yield container
            return
        with self.containers.track(container) as tracked:
            yield tracked

    # ---- lifecycle ---------------------------------------------------------------

    def stop(self) -> None:
        """Stop every thread, write the final record (when configured), free the library."""
        if self._stopped:
            return
        self._stopped = True
        if self.collector is None:
            return
        try:
            self.collector.stop()
        finally:
            if self.alerts is not None:
                self.alerts.close()
            self.collector.close()

    def __enter__(self) -> Monitoring:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def start(config_path: str | os.PathLike[str] | None = "config/monitoring_config.yaml", *,
          docker_client: Any = None, port: int | None = None, final_export: bool = True,
          disk_path: str | None = None, enable_containers: bool | None = None) -> Monitoring:
    """Start finmon as ``config_path`` says (None: the built-in defaults).

    ``port`` overrides ``monitoring.prometheus.port`` (0 picks a free port; the bound one
    is ``.port``); ``docker_client`` (a docker-py client) gives the container monitor its
    engine; ``final_export=False`` skips the final record at stop; ``enable_containers``
    overrides ``container_monitor.enabled`` (for a loop that runs without an engine).
    """
    config = MonitoringConfig.defaults() if config_path is None else MonitoringConfig.from_yaml(config_path)
    if not config.monitoring.enabled:
        return Monitoring(config, None)
    collector = MetricsCollector()
    monitoring = Monitoring(config, collector, docker_client=docker_client)
    try:
        _wire(monitoring, config, collector, docker_client, port, final_export, disk_path,
              settings_enabled(config.monitoring.container_monitor.enabled, enable_containers))
    except BaseException:
        monitoring.stop()
        raise
    return monitoring


def settings_enabled(configured: bool, override: bool | None) -> bool:
    """The config's switch unless the caller overrides it."""
    return configured if override is None else override


def _wire(monitoring: Monitoring, config: MonitoringConfig, collector: MetricsCollector, docker_client: Any,
          port: int | None, final_export: bool, disk_path: str | None, containers_enabled: bool) -> None:
    settings = config.monitoring
    collector.configure_loop(success_window=settings.alerts.success_rate.window_iterations,
                             history_size=settings.diversity_monitor.history_size)
    export = settings.export
    if final_export and export.enabled:
        collector.configure_final_export(export.directory, export.final_metrics_path, export.prometheus_snapshot_path)
    if settings.prometheus.enabled:
        monitoring.port = collector.start_http_server(
            port=settings.prometheus.port if port is None else port, addr=settings.prometheus.address,
            retry_interval=settings.prometheus.retry_interval)
    if settings.diversity_monitor.enabled:
        monitoring.diversity = DiversityMonitor(collector)
    if settings.resource_monitor.enabled:
        resources = ResourceMonitor(collector, disk_path=disk_path or settings.resource_monitor.disk_path,
                                    rss_growth_window_seconds=settings.resource_monitor.rss_growth_window)
        resources.start_monitoring(interval_seconds=settings.resource_monitor.collection_interval)
        monitoring.resources = resources
    if containers_enabled:
        cm = settings.container_monitor
        containers = ContainerMonitor(
            collector, docker_client, docker_host=cm.docker_host, label=cm.label,
            orphan_statuses=tuple(cm.orphan_statuses), request_timeout=cm.request_timeout,
            orphan_threshold=settings.alerts.orphaned_containers.threshold,
            auto_cleanup=settings.alerts.orphaned_containers.auto_cleanup)
        containers.start_polling(interval_seconds=cm.stats_collection_interval)
        monitoring.containers = containers
    if settings.alerts.enabled:
        alerts = AlertManager(config, collector)
        alerts.start()
        monitoring.alerts = alerts

