"""``finmon.start``: one call that starts everything ``monitoring_config.yaml`` enables.

The wiring is the library's (``finmon_runtime_start``): it reads the file, starts the
exporter, the resource sampler, the container monitor's polling, the alert evaluation
and arms the final record, on its own threads. This module is a thin wrapper: it passes
the path and the caller's overrides across once, and returns a :class:`Runtime` whose
hooks the loop calls and whose :meth:`Runtime.stop` joins every thread and writes the
final record. With ``monitoring.enabled: false`` nothing starts and every hook is a cheap
no-op (``with runtime.iteration(i) as it: it.result(...)`` included).

Example:
    >>> import finmon
    >>> runtime = finmon.start(None, port=0, final_export=False)
    >>> runtime.record_iteration(1, True, 0.25, sharpe=1.1)
    >>> runtime.collector.get_sample_value("strategy_success_total")
    1.0
    >>> runtime.stop()
"""

from __future__ import annotations

import ctypes
import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from ctypes import c_int, c_void_p
from typing import Any

from . import _native
from ._managed import Managed
from .alerts import AlertManager
from .collector import MetricsCollector
from .config import MonitoringConfig
from .containers import ContainerMonitor, endpoint_of
from .iteration import Iteration, SkippedIteration
from .monitors import DiversityMonitor
from .resources import ResourceMonitor

__all__ = ["Runtime", "start"]


class Runtime(Managed):
    """A running finmon, wired from a config by the library. Use :func:`start` to make one.

    ``collector`` is the :class:`MetricsCollector` it records into (None when
    ``monitoring.enabled`` is false); ``diversity``, ``resources``, ``containers`` and
    ``alerts`` are the design's monitors over it, None when their section is disabled.
    """

    _free = staticmethod(lambda handle: _native.blocking.finmon_runtime_free(handle))

    def __init__(self, handle: int, config: MonitoringConfig, collector: MetricsCollector | None,
                 docker_client: Any = None) -> None:
        self._adopt(handle, owned=True)
        self.config = config
        self.enabled = collector is not None
        self.collector = collector
        self.diversity: DiversityMonitor | None = None
        self.resources: ResourceMonitor | None = None
        self.containers: ContainerMonitor | None = None
        self.alerts: AlertManager | None = None
        if collector is not None:
            settings = config.monitoring
            if settings.diversity_monitor.enabled:
                collapse = settings.alerts.diversity_collapse  # one value with diversity_monitor's
                self.diversity = DiversityMonitor(collector, collapse_window=collapse.window,
                                                  collapse_threshold=collapse.threshold)
            if settings.resource_monitor.enabled:
                self.resources = ResourceMonitor._attached(collector, settings.resource_monitor.disk_path)
            if settings.container_monitor.enabled:
                self.containers = ContainerMonitor._attached(collector, docker_client)
            self.alerts = AlertManager._attached(collector, config)

    @property
    def port(self) -> int | None:
        """The port the exporter serves; None while it waits for a busy port, or when it is off."""
        if self._handle is None:
            return None
        out = c_int(-1)
        _native.check(_native.hot.finmon_runtime_port(self._handle, ctypes.byref(out)))
        return out.value if out.value >= 0 else None

    @property
    def run_id(self) -> str | None:
        """The ``run_id`` label of this run's file_sd entry: ``monitoring.prometheus.run_id``,
        or the one the library made at start (``20261202T114512Z-0a1b2c3d``: the start time
        and 32 random bits) when that is null and ``file_sd_path`` is set; else None."""
        value = self.config.setting("monitoring.prometheus.run_id")
        return value if isinstance(value, str) else None

    # ---- hooks: each is a no-op when monitoring is disabled -------------------------

    def record_iteration(self, iteration: int, success: bool, execution_time_seconds: float,
                         sharpe: float | None = None, max_drawdown: float | None = None) -> None:
        """See :meth:`MetricsCollector.record_iteration`."""
        if self.collector is not None:
            self.collector.record_iteration(iteration, success, execution_time_seconds, sharpe, max_drawdown)

    def iteration(self, iteration: int) -> Iteration:
        """See :meth:`MetricsCollector.iteration`; when disabled, a handle that times the
        block and records nothing, with the same ``result`` and ``fail``."""
        if self.collector is None:
            return SkippedIteration(iteration)
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
        """Stop every thread, write the final record (when configured), free the library's
        runtime. Stopping twice is harmless."""
        handle = self._detach()
        if handle is None:
            return
        try:
            _native.check(_native.blocking.finmon_runtime_stop(handle))
        finally:
            if self.collector is not None:
                self.collector.close()  # borrowed: stops its event pump, leaves the handle
            self._release(handle)

    def close(self) -> None:
        """The same as :meth:`stop` (so ``with`` and garbage collection stop it too)."""
        self.stop()


def start(config_path: str | os.PathLike[str] | None = "config/monitoring_config.yaml", *,
          docker_client: Any = None, port: int | None = None, final_export: bool = True,
          disk_path: str | None = None, enable_containers: bool | None = None,
          strict: bool | None = None) -> Runtime:
    """Start finmon as ``config_path`` says (None: the built-in defaults).

    The keyword arguments override the file: ``port`` its ``monitoring.prometheus.port``
    (0 picks a free port; the bound one is ``.port``), ``docker_client`` (a docker-py
    client) its ``container_monitor.docker_host``, ``final_export=False`` its
    ``export.enabled``, ``disk_path`` its ``resource_monitor.disk_path``,
    ``enable_containers`` its ``container_monitor.enabled`` (for a loop that runs without
    an engine), ``strict`` its ``monitoring.strict``. The library checks them like the
    file's values.
    """
    overrides: dict[str, Any] = {}
    for key, value in (("monitoring.prometheus.port", port),
                       ("monitoring.container_monitor.docker_host", endpoint_of(docker_client)),
                       ("monitoring.resource_monitor.disk_path", disk_path),
                       ("monitoring.container_monitor.enabled", enable_containers),
                       ("monitoring.strict", strict)):
        if value is not None:
            overrides[key] = value
    if not final_export:
        overrides["monitoring.export.enabled"] = False
    path = None if config_path is None else _native.encode(os.fspath(config_path), "config_path")
    out = c_void_p()
    _native.check(_native.blocking.finmon_runtime_start(
        path, _native.encode(json.dumps(overrides), "overrides"), ctypes.byref(out)))
    handle = out.value or 0
    try:
        text = c_void_p()
        _native.check(_native.hot.finmon_runtime_config(handle, ctypes.byref(text)))
        collector_handle = c_void_p()
        _native.check(_native.hot.finmon_runtime_collector(handle, ctypes.byref(collector_handle)))
        # With a collector the library's event queue carries the config's warnings to the
        # `finmon` logger; without one nothing would, so they are logged here.
        config = MonitoringConfig.from_json(_native.take_string(text), log_warnings=not collector_handle.value)
        collector = None
        if collector_handle.value:
            collector = MetricsCollector._borrowed(collector_handle.value)
            if config.monitoring.multiprocess:
                from . import multiprocess

                multiprocess._publish(collector)  # spawned workers find the run
            export = config.monitoring.export
            if export.enabled:
                collector._final = (export.directory, export.final_metrics_path, export.prometheus_snapshot_path)
        return Runtime(handle, config, collector, docker_client)
    except BaseException:
        _native.blocking.finmon_runtime_free(handle)
        raise


def __getattr__(name: str) -> Any:
    if name == "Monitoring":
        warnings.warn("finmon.Monitoring is now finmon.Runtime", DeprecationWarning, stacklevel=2)
        return Runtime
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
