"""ResourceMonitor and SystemStats: host and process resources, sampled by the library.

The sampling runs on the library's own threads (an event loop schedules it, a small pool
does the blocking reads), so a running monitor never takes the GIL. It keeps these
metrics current: ``system_cpu_usage_percent`` (as ``psutil.cpu_percent``),
``system_memory_usage_bytes`` (MemTotal - MemAvailable, psutil 7's ``used``),
``system_memory_total_bytes`` (the host's MemTotal, also inside a container),
``system_memory_limit_bytes`` (the cgroup memory limit when below MemTotal, else
MemTotal), ``system_disk_usage_bytes`` / ``system_disk_total_bytes`` /
``system_disk_usage_percent`` (as ``psutil.disk_usage``), the standard ``process_*``
metrics and ``process_resident_memory_growth_bytes_per_second``.

A source that cannot be read (a missing file, a malformed line) keeps its metrics at
their last values, counts ``finmon_collection_errors_total{collector=...}`` and logs one
warning on the ``finmon`` logger until it recovers; sampling goes on.

Example:
    >>> import finmon
    >>> with finmon.MetricsCollector() as collector:
    ...     with finmon.ResourceMonitor(collector).start_monitoring(interval_seconds=5) as monitor:
    ...         stats = monitor.get_current_stats()
    ...     stats["memory_total_bytes"] > 0
    True
"""

from __future__ import annotations

import ctypes
import json
import os
from ctypes import c_double, c_void_p
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, Union

from . import _args, _native

if TYPE_CHECKING:
    from .collector import MetricsCollector

__all__ = ["ResourceMonitor", "SystemStats"]

_GIB = 1024**3
_StrPath = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class SystemStats:
    """One sample of the host, in the original design's units.

    ``timestamp`` is an ISO 8601 string in UTC (``2026-11-29T13:45:12.123456+00:00``), as
    the design types it. Sizes are GiB (bytes / 1024**3), percentages 0..100. A figure the
    sample could not read is None, and so is ``cpu_percent`` on the very first sample (no
    interval yet).

    Example:
        >>> import finmon
        >>> with finmon.MetricsCollector() as collector:
        ...     stats = finmon.ResourceMonitor(collector).get_system_stats()
        >>> sorted(stats.to_dict())[:3]
        ['cpu_percent', 'disk_percent', 'disk_used_gb']
    """

    timestamp: str
    memory_used_gb: float | None
    memory_total_gb: float | None
    memory_percent: float | None
    cpu_percent: float | None
    disk_used_gb: float | None
    disk_percent: float | None

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values.

        Example:
            >>> import json, finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     line = json.dumps(finmon.ResourceMonitor(collector).get_system_stats().to_dict())
            >>> '"timestamp"' in line
            True
        """
        return {
            "timestamp": self.timestamp,
            "memory_used_gb": self.memory_used_gb,
            "memory_total_gb": self.memory_total_gb,
            "memory_percent": self.memory_percent,
            "cpu_percent": self.cpu_percent,
            "disk_used_gb": self.disk_used_gb,
            "disk_percent": self.disk_percent,
        }

    @classmethod
    def from_stats(cls, stats: dict[str, Any]) -> SystemStats:
        """Build from a :meth:`ResourceMonitor.get_current_stats` dict."""
        def gib(key: str) -> float | None:
            value = stats.get(key)
            return None if value is None else value / _GIB

        return cls(
            timestamp=datetime.fromtimestamp(stats["timestamp"], tz=timezone.utc).isoformat(),
            memory_used_gb=gib("memory_used_bytes"),
            memory_total_gb=gib("memory_total_bytes"),
            memory_percent=stats.get("memory_percent"),
            cpu_percent=stats.get("cpu_percent"),
            disk_used_gb=gib("disk_used_bytes"),
            disk_percent=stats.get("disk_percent"),
        )


def _path(value: _StrPath | None, what: str) -> bytes | None:
    if value is None:
        return None
    try:
        text = os.fspath(value)
    except TypeError:
        raise TypeError(f"{what} must be a path (str or os.PathLike), got {type(value).__name__}") from None
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a text path, got {type(text).__name__}")
    return _native.encode(text, what)


class ResourceMonitor:
    """The resource monitor of one collector (there is one per collector; a second
    ``ResourceMonitor`` on the same collector reconfigures the same monitor).

    ``disk_path`` names the filesystem reported (its ``statvfs``), ``proc_root`` the
    ``/proc`` to read (None: ``/proc``; the cgroup filesystem is then read from
    ``<parent of proc_root>/sys/fs/cgroup``), ``rss_growth_window_seconds`` the window of
    the resident-memory growth slope. Invalid paths or window raise ValueError.

    Example:
        >>> import finmon
        >>> with finmon.MetricsCollector() as collector:
        ...     monitor = finmon.ResourceMonitor(collector, disk_path="/")
        ...     stats = monitor.get_current_stats()     # samples once: not started yet
        ...     stats["disk_total_bytes"] > 0
        True
    """

    def __init__(self, collector: MetricsCollector, *, disk_path: _StrPath = "/", proc_root: _StrPath | None = None,
                 rss_growth_window_seconds: float = 300.0) -> None:
        self.collector = collector
        self._disk_path = _path(disk_path, "disk_path")
        self._proc_root = _path(proc_root, "proc_root")
        window = _args.real(rss_growth_window_seconds, "rss_growth_window_seconds")
        _native.check(_native.hot.finmon_resource_configure(
            collector._live_handle(), self._disk_path, self._proc_root, window))

    @classmethod
    def _attached(cls, collector: MetricsCollector, disk_path: _StrPath) -> ResourceMonitor:
        """The monitor a :class:`~finmon.Runtime` started, as it is (not reconfigured)."""
        monitor = cls.__new__(cls)
        monitor.collector = collector
        monitor._disk_path = _path(disk_path, "disk_path")
        monitor._proc_root = None
        return monitor

    def start_monitoring(self, interval_seconds: float = 5.0) -> ResourceMonitor:
        """Sample now and every ``interval_seconds`` (0.01 to 86400) on the library's threads.

        Starting again reschedules with the new interval. Returns ``self``, so
        ``with monitor.start_monitoring(1):`` stops it when the block ends.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     monitor = finmon.ResourceMonitor(collector).start_monitoring(0.5)
            ...     monitor.is_running
            ...     monitor.stop_monitoring()
            True
        """
        interval = _args.real(interval_seconds, "interval_seconds")
        _native.check(_native.blocking.finmon_resource_start(
            self.collector._live_handle(), interval, self._disk_path, self._proc_root))
        return self

    def stop_monitoring(self) -> None:
        """Stop sampling; returns at once even while a read hangs. Metrics keep their values."""
        _native.check(_native.hot.finmon_resource_stop(self.collector._live_handle()))

    @property
    def interval_seconds(self) -> float | None:
        """The running schedule's interval, None while stopped."""
        out = c_double()
        _native.check(_native.hot.finmon_resource_interval(self.collector._live_handle(), ctypes.byref(out)))
        return out.value if out.value > 0 else None

    @property
    def is_running(self) -> bool:
        """True while sampling on a schedule."""
        return self.interval_seconds is not None

    def sample_now(self) -> dict[str, Any]:
        """Sample on this thread (without the GIL), update the metrics, return the stats.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     finmon.ResourceMonitor(collector).sample_now()["memory_percent"] > 0
            True
        """
        out = c_void_p()
        _native.check(_native.blocking.finmon_resource_sample_now(self.collector._live_handle(), ctypes.byref(out)))
        return _decode(_native.take_string(out))

    def _record_system_metrics(self) -> None:
        """Take one sample now and record it (the design's internal step of each interval):
        the ``system_*`` and ``process_*`` metrics are updated before this returns. Reads
        ``proc_root`` when one was given, so a test can point it at a fixture
        (:func:`finmon.testing.proc_root`) instead of mocking psutil.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     finmon.ResourceMonitor(collector)._record_system_metrics()
            ...     collector.get_sample_value("system_memory_total_bytes") > 0
            True
        """
        self.sample_now()

    def get_current_stats(self) -> dict[str, Any]:
        """The newest sample as a dict (sampling once if there is none yet).

        Keys: ``timestamp`` (seconds since the epoch), ``cpu_percent``, ``memory_percent``,
        ``disk_percent``, ``memory_used_bytes``, ``memory_total_bytes``,
        ``memory_available_bytes``, ``memory_free_bytes``, ``memory_limit_bytes``,
        ``cgroup_version``, ``cgroup_memory_usage_bytes``, ``disk_path``,
        ``disk_used_bytes``, ``disk_total_bytes``, ``disk_free_bytes``,
        ``process_resident_bytes``, ``process_virtual_bytes``, ``process_peak_resident_bytes``,
        ``process_cpu_seconds_total``, ``process_open_fds``, ``process_max_fds``,
        ``process_threads``, ``process_start_time_seconds``, ``rss_growth_bytes_per_second``
        and ``errors`` ({collector: message} for the sources that failed). A value that
        was not read is None; ``cpu_percent`` is None until two samples exist.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     stats = finmon.ResourceMonitor(collector).get_current_stats()
            >>> stats["errors"]
            {}
        """
        out = c_void_p()
        _native.check(_native.hot.finmon_resource_current_stats(self.collector._live_handle(), ctypes.byref(out)))
        if not out.value:
            return self.sample_now()
        return _decode(_native.take_string(out))

    def get_system_stats(self) -> SystemStats:
        """The newest sample as a :class:`SystemStats` (GiB and percent)."""
        return SystemStats.from_stats(self.get_current_stats())

    def __enter__(self) -> ResourceMonitor:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.collector._handle is not None:
            self.stop_monitoring()


def _decode(raw: bytes) -> dict[str, Any]:
    stats: dict[str, Any] = json.loads(raw)
    return stats
