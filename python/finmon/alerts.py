"""AlertManager: the original design's alerting interface over the library's alert engine.

Rules run in the library: on :meth:`AlertManager.evaluate_alerts`, or every
``monitoring.alerts.evaluation_interval`` seconds on its own thread after
:meth:`AlertManager.start`.
Each alert that starts firing or resolves is, in this order, appended to the JSON-lines
alert log, counted in ``alerts_triggered_total{alert_type}`` / ``alert_active{alert_type}``,
logged as JSON on the ``finmon.alerts`` logger, and sent to Alertmanager and the webhook
when configured (a receiver that is down is retried with backoff; the log keeps
everything).

Memory, CPU and orphaned-container readings come from the resource and container
monitors; any signal can be overridden with :meth:`AlertManager.inject_snapshot`.

High memory and CPU hold their alert back (``for_seconds``: 2 and 5 minutes) and resolve
only below their threshold minus a margin (``hysteresis``: 5 and 10 points), so a busy
machine does not flap; the example fires at the first evaluation instead.

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> config = finmon.AlertConfig(log_file=None, for_seconds={"high_memory": 0})
    >>> alerts = finmon.AlertManager(config, collector)
    >>> alerts.inject_snapshot(memory_percent=85)
    >>> [a.alert_type for a in alerts.evaluate_alerts()]
    ['high_memory']
    >>> collector.get_sample_value("alerts_triggered_total", {"alert_type": "high_memory"})
    1.0
    >>> alerts.inject_snapshot(memory_percent=70)
    >>> [(a.alert_type, a.status) for a in alerts.evaluate()]
    [('high_memory', 'resolved')]
    >>> collector.close()
"""

from __future__ import annotations

import ctypes
import json
import math
import os
from ctypes import c_int, c_void_p
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from . import _args, _native
from ._bindings import AlertInput
from .collector import MetricsCollector
from .config import AlertConfig, MonitoringConfig
from .errors import InvalidArgumentError

__all__ = ["Alert", "AlertManager"]

#: inject_snapshot's keywords and the finmon_alert_input each sets.
_ALERT_INPUTS: dict[str, AlertInput] = {
    **{member.name.lower(): member for member in AlertInput},
    "resident_memory_growth_bytes_per_second": AlertInput.RESIDENT_MEMORY_GROWTH,
}
del _ALERT_INPUTS["resident_memory_growth"]


@dataclass(frozen=True)
class Alert:
    """One alert event: an alert that started firing (``status == "firing"``) or resolved.

    The original design's seven fields come first, so ``Alert(alert_type, severity,
    message, current_value, threshold_value, timestamp, iteration_context)`` makes a firing
    alert. ``timestamp`` is when the event happened and ``starts_at`` when the alert
    started firing, both RFC 3339 UTC strings with milliseconds
    (``2026-11-29T13:45:12.123Z``). ``current_value`` and ``threshold_value`` are in the
    rule's unit (percent, a diversity value, iterations, containers).

    Example:
        >>> from finmon import Alert
        >>> Alert("high_memory", "critical", "Memory usage 85.0% is above 80%", 85.0, 80.0,
        ...       "2026-11-29T13:45:12.123Z", 12).status
        'firing'
    """

    alert_type: str
    severity: str
    message: str
    current_value: float
    threshold_value: float
    timestamp: str
    iteration_context: int | None
    status: str = "firing"
    starts_at: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        """An alert from its JSON object (a line of the alert log, a ``finmon.alerts`` record)."""
        def number(value: Any) -> float:
            return math.nan if value is None else float(value)

        return cls(
            alert_type=str(data["alert_type"]),
            severity=str(data["severity"]),
            message=str(data["message"]),
            current_value=number(data["current_value"]),
            threshold_value=number(data["threshold_value"]),
            timestamp=str(data["timestamp"]),
            iteration_context=None if data.get("iteration_context") is None else int(data["iteration_context"]),
            status=str(data["status"]),
            starts_at=str(data.get("starts_at", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the alert log."""
        return {
            "alert_type": self.alert_type, "severity": self.severity, "status": self.status,
            "message": self.message, "current_value": self.current_value,
            "threshold_value": self.threshold_value, "timestamp": self.timestamp,
            "iteration_context": self.iteration_context, "starts_at": self.starts_at,
        }


_UNSET: Any = object()


def _alerts(raw: bytes) -> list[Alert]:
    return [Alert.from_dict(item) for item in json.loads(raw)]


class AlertManager:
    """Evaluates the alert rules of ``config`` against ``collector``'s monitors.

    ``config`` is an :class:`~finmon.AlertConfig`, a :class:`~finmon.MonitoringConfig`,
    or the path of a ``monitoring_config.yaml`` (None: the defaults). Without a
    ``collector`` the manager makes its own and closes it in :meth:`close`.
    One collector has one alert manager: a second one configured on it replaces the first
    one's configuration.
    """

    def __init__(self, config: AlertConfig | MonitoringConfig | str | os.PathLike[str] | None = None,
                 collector: MetricsCollector | None = None) -> None:
        self._owns_collector = collector is None
        self.collector = collector if collector is not None else MetricsCollector()
        handle = self.collector._live_handle()
        if config is None:
            config = MonitoringConfig.defaults()
        if isinstance(config, (str, os.PathLike)):
            path = os.fspath(config)
            _native.check(_native.hot.finmon_alerts_configure_file(handle, _native.encode(path, "config path")))
            self.config = MonitoringConfig.from_yaml(path)
        elif isinstance(config, AlertConfig):
            self.config = config.monitoring_config()
            self._configure_text(self.config.to_text(), "AlertConfig")
        elif isinstance(config, MonitoringConfig):
            self.config = config
            self._configure_text(config.to_text(), "MonitoringConfig")
        else:
            raise TypeError(f"config must be an AlertConfig, a MonitoringConfig or a path, got {type(config).__name__}")
        #: The flat view of the alert settings in use.
        self.alert_config: AlertConfig = self.config.alert_config()

    @classmethod
    def _attached(cls, collector: MetricsCollector, config: MonitoringConfig) -> AlertManager:
        """The alert manager a :class:`~finmon.Runtime` configured, as it is."""
        manager = cls.__new__(cls)
        manager._owns_collector = False
        manager.collector = collector
        manager.config = config
        manager.alert_config = config.alert_config()
        return manager

    def _configure_text(self, text: str, name: str) -> None:
        _native.check(_native.hot.finmon_alerts_configure_text(
            self.collector._live_handle(), _native.encode(text, "config"), _native.encode(name, "name")))

    # ---- evaluation --------------------------------------------------------------------

    def evaluate(self) -> list[Alert]:
        """Evaluate every rule once; return every event: alerts that started firing and
        alerts that resolved (``status`` tells which)."""
        out = c_void_p()
        _native.check(_native.blocking.finmon_alerts_evaluate(self.collector._live_handle(), ctypes.byref(out)))
        return _alerts(_native.take_string(out))

    # ---- the original design's checks: one rule each, nothing changes ------------------

    def _check(self, alert_type: str) -> Alert | None:
        out = c_void_p()
        _native.check(_native.hot.finmon_alerts_check(
            self.collector._live_handle(), _native.encode(alert_type, "alert_type"), ctypes.byref(out)))
        if not out.value:
            return None
        return Alert.from_dict(json.loads(_native.take_string(out)))

    def _check_memory_threshold(self) -> Alert | None:
        """The ``high_memory`` alert if system memory use is above the threshold now (80%
        by default), else None. Looks at the current signals only: no state changes, nothing
        is logged or sent, and an alert already firing is returned again.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     alerts = finmon.AlertManager(finmon.AlertConfig(log_file=None), collector)
            ...     alerts.inject_snapshot(memory_percent=85)
            ...     alerts._check_memory_threshold().current_value
            85.0
        """
        return self._check("high_memory")

    def _check_cpu_threshold(self) -> Alert | None:
        """The ``high_cpu`` alert if system CPU is above the threshold now (finmon's addition)."""
        return self._check("high_cpu")

    def _check_diversity_collapse(self) -> Alert | None:
        """The ``diversity_collapse`` alert if the last ``window`` (5) recorded diversity
        values are all below the threshold (0.1), else None. Changes nothing."""
        return self._check("diversity_collapse")

    def _check_champion_staleness(self) -> Alert | None:
        """The ``champion_staleness`` alert if the champion is unchanged for the threshold
        (20) iterations or more, else None. Changes nothing."""
        return self._check("champion_staleness")

    def _check_success_rate(self) -> Alert | None:
        """The ``low_success_rate`` alert if the success rate over the full window (10
        iterations) is below the threshold (20%), else None. Changes nothing."""
        return self._check("low_success_rate")

    def _check_orphaned_containers(self) -> Alert | None:
        """The ``orphaned_containers`` alert if at least the threshold (3) of orphans are
        known now (finmon's addition)."""
        return self._check("orphaned_containers")

    def _check_memory_leak(self) -> Alert | None:
        """The ``memory_leak`` alert if the resident memory's trend (its least-squares
        growth over the resource monitor's window) reaches the memory limit within the
        horizon (1 hour), else None; ``current_value`` is the forecast and
        ``threshold_value`` the limit, in bytes (finmon's addition)."""
        return self._check("memory_leak")

    def _check_loop_stuck(self) -> Alert | None:
        """The ``loop_stuck`` alert if no iteration was recorded for the expected iteration
        time x the multiple (60 s x 10), else None (finmon's addition)."""
        return self._check("loop_stuck")

    def _trigger_alert(self, alert: Alert) -> None:
        """Fire ``alert`` now as an evaluation would: it is active until an evaluation sees
        its condition clear, appended to the alert log, counted in
        ``alerts_triggered_total{alert_type}``, logged on ``finmon.alerts`` and sent to
        Alertmanager and the webhook. Its ``timestamp`` becomes the time of this call.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     alerts = finmon.AlertManager(finmon.AlertConfig(log_file=None), collector)
            ...     alerts.inject_snapshot(diversity=0.05)
            ...     alerts._trigger_alert(alerts._check_diversity_collapse())
            ...     collector.get_sample_value("alerts_triggered_total", {"alert_type": "diversity_collapse"})
            1.0
        """
        if not isinstance(alert, Alert):
            raise TypeError(f"alert must be a finmon.Alert, got {type(alert).__name__}")
        has_iteration = alert.iteration_context is not None
        _native.check(_native.blocking.finmon_alerts_trigger(
            self.collector._live_handle(), _native.encode(alert.alert_type, "alert_type"),
            _native.encode(alert.severity, "severity"), _native.encode(alert.message, "message"),
            _args.real(alert.current_value, "current_value"), _args.real(alert.threshold_value, "threshold_value"),
            _args.int64(alert.iteration_context, "iteration_context") if has_iteration else 0,
            1 if has_iteration else 0))

    def evaluate_alerts(self) -> list[Alert]:
        """Evaluate every rule once; return the alerts that started firing now.

        An alert fires once when its condition starts to hold; it does not fire again
        while the condition persists, and fires anew after it cleared. Resolutions are in
        :meth:`evaluate`'s result, the alert log and the ``finmon.alerts`` logger.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     alerts = finmon.AlertManager(finmon.AlertConfig(log_file=None), collector)
            ...     alerts.inject_snapshot(orphaned_containers=4)
            ...     [a.message for a in alerts.evaluate_alerts()], alerts.evaluate_alerts()
            (['4 orphaned containers (threshold 3)'], [])
        """
        return [alert for alert in self.evaluate() if alert.status == "firing"]

    def active_alerts(self) -> list[Alert]:
        """The alerts firing now (each as the event that started it)."""
        out = c_void_p()
        _native.check(_native.hot.finmon_alerts_active(self.collector._live_handle(), ctypes.byref(out)))
        return _alerts(_native.take_string(out))

    # ---- periodic evaluation ----------------------------------------------------------

    def start(self) -> None:
        """Evaluate now and then every ``monitoring.alerts.evaluation_interval`` seconds on the library's
        thread (no Python thread, no GIL), until :meth:`stop`."""
        _native.check(_native.blocking.finmon_alerts_start(self.collector._live_handle()))

    def stop(self) -> None:
        """Stop periodic evaluation; returns at once."""
        _native.check(_native.blocking.finmon_alerts_stop(self.collector._live_handle()))

    @property
    def interval_seconds(self) -> float | None:
        """Seconds between periodic evaluations (``monitoring.alerts.evaluation_interval``),
        None while they do not run."""
        out = ctypes.c_double()
        _native.check(_native.hot.finmon_alerts_interval(self.collector._live_handle(), ctypes.byref(out)))
        return out.value if out.value > 0 else None

    @property
    def running(self) -> bool:
        """True while periodic evaluation is scheduled."""
        out = c_int()
        _native.check(_native.hot.finmon_alerts_running(self.collector._live_handle(), ctypes.byref(out)))
        return bool(out.value)

    # ---- inputs ---------------------------------------------------------------------

    def inject_snapshot(self, *, memory_percent: float | None = _UNSET, cpu_percent: float | None = _UNSET,
                        diversity: float | None = _UNSET, champion_staleness: int | None = _UNSET,
                        success_rate: float | None = _UNSET, orphaned_containers: int | None = _UNSET,
                        iteration: int | None = _UNSET, resident_memory_bytes: float | None = _UNSET,
                        resident_memory_growth_bytes_per_second: float | None = _UNSET,
                        memory_limit_bytes: float | None = _UNSET,
                        seconds_since_last_iteration: float | None = _UNSET) -> None:
        """Override signals the rules read, until cleared (pass None to clear one).

        ``memory_percent`` and ``cpu_percent`` are percentages, ``diversity`` a value in
        [0, 1] read as the last ``window`` recorded values, ``success_rate`` a fraction in
        [0, 1], ``champion_staleness``, ``orphaned_containers`` and ``iteration`` whole
        numbers; ``resident_memory_bytes``, ``resident_memory_growth_bytes_per_second`` and
        ``memory_limit_bytes`` drive the memory_leak forecast, ``seconds_since_last_iteration``
        the loop_stuck alert. Arguments not given keep their current override. A value a signal cannot
        take raises :class:`~finmon.InvalidArgumentError` and nothing changes for it.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     alerts = finmon.AlertManager(finmon.AlertConfig(log_file=None), collector)
            ...     alerts.inject_snapshot(diversity=0.05)
            ...     [a.alert_type for a in alerts.evaluate_alerts()]
            ['diversity_collapse']
        """
        given = {"memory_percent": memory_percent, "cpu_percent": cpu_percent, "diversity": diversity,
                 "champion_staleness": champion_staleness, "success_rate": success_rate,
                 "orphaned_containers": orphaned_containers, "iteration": iteration,
                 "resident_memory_bytes": resident_memory_bytes,
                 "resident_memory_growth_bytes_per_second": resident_memory_growth_bytes_per_second,
                 "memory_limit_bytes": memory_limit_bytes, "seconds_since_last_iteration": seconds_since_last_iteration}
        handle = self.collector._live_handle()
        for name, value in given.items():
            if value is _UNSET:
                continue
            number = math.nan if value is None else _args.real(value, name)
            if value is not None and math.isnan(number):
                raise InvalidArgumentError(f"{name} must be a number, or None to clear it; got NaN")
            _native.check(_native.hot.finmon_alerts_inject(handle, _ALERT_INPUTS[name], number))

    def clear_snapshot(self) -> None:
        """Remove every override set with :meth:`inject_snapshot`."""
        self.inject_snapshot(**{name: None for name in _ALERT_INPUTS})

    # ---- delivery ------------------------------------------------------------------

    def delivery_status(self) -> dict[str, Any]:
        """Where delivery stands: ``alertmanager_pending``, ``alertmanager_in_sync``,
        ``alertmanager_down``, ``webhook_pending``, ``webhook_down``, ``webhook_dropped``..."""
        out = c_void_p()
        _native.check(_native.hot.finmon_alerts_delivery_status(self.collector._live_handle(), ctypes.byref(out)))
        status: dict[str, Any] = json.loads(_native.take_string(out))
        return status

    # ---- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        """Stop periodic evaluation; close the collector if this manager made it."""
        if self.collector._handle is None:
            return
        self.stop()
        if self._owns_collector:
            self.collector.close()

    def __enter__(self) -> AlertManager:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
