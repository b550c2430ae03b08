"""MetricsCollector: finmon's registry, catalog and exporter, as the loop sees them.

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> port = collector.start_http_server(port=0)      # 0 picks a free port
    >>> collector.population_diversity.set(0.4)
    >>> collector.strategy_success.inc()
    >>> collector.get_sample_value("strategy_success_total")
    1.0
    >>> collector.stop()
    >>> collector.close()
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
import weakref
from ctypes import c_double, c_int, c_size_t, c_void_p
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence, TypeVar

from . import _args, _native
from ._bindings import Format, MetricType, Status
from ._catalog import ALIASES, CATALOG
from ._loop_hooks import LoopHooks
from ._managed import Managed
from ._events import EventPump
from ._final_export import FinalExportMethods, PathArg, path_arg
from .batch import Batch, PreparedBatch
from .metrics import Child, Counter, Gauge, Histogram, Metric
from . import multiprocess as _multiprocess
from .multiprocess import GaugeMode, MultiprocessMethods

if TYPE_CHECKING:
    from .bridge import RegistryMirror

__all__ = ["ALIASES", "CATALOG", "MetricsCollector"]

_KINDS: dict[int, type[Metric]] = {kind._type_code: kind for kind in (Counter, Gauge, Histogram)}
_TYPE_CODES = {member.name.lower(): member for member in MetricType}
_M = TypeVar("_M", bound=Metric)

_live: weakref.WeakSet[MetricsCollector] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The parent's native threads and our pump thread do not exist in the child.
    _native.hot.finmon_after_fork_child()
    for collector in list(_live):
        collector._pump = None
    _multiprocess._after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)


class MetricsCollector(Managed, LoopHooks, MultiprocessMethods, FinalExportMethods):
    """One registry with the metric catalog, an optional ``/metrics`` exporter, and threads.

    The catalog's metrics are attributes (see :data:`CATALOG`): ``population_diversity``,
    ``container_memory_usage`` (labeled by ``container_id``), ``strategy_success``...

    The loop hooks (``record_iteration``, ``iteration``, the diversity and container
    monitors' ``record_*``) never stop the loop: a value they cannot use (a NaN Sharpe ratio
    from a failed backtest, ``-inf`` for "no champion yet", a negative count...) is skipped,
    the rest is recorded, and the skip is counted in
    ``finmon_rejected_values_total{hook,reason}`` and logged once per hook and reason (then
    at most once a minute) on the ``finmon`` logger. An iteration number that goes backwards
    is a loop restart: the success window starts over and champion staleness counts from
    the new iteration. With ``strict=True`` (for tests) such a call raises
    :class:`~finmon.InvalidArgumentError` instead and changes nothing. Programming errors
    (a str where a number goes, an unknown label name, ``observe`` on a gauge) always raise.
    """

    # Catalog attributes, typed for editors and type checkers.
    system_memory_usage: Gauge
    system_memory_total: Gauge
    system_memory_limit: Gauge
    system_cpu_usage: Gauge
    system_disk_usage: Gauge
    system_disk_total: Gauge
    system_disk_usage_percent: Gauge
    execution_time: Histogram
    strategy_success: Counter
    strategy_failure: Counter
    strategy_success_rate: Gauge
    strategy_sharpe_ratio: Gauge
    strategy_max_drawdown: Gauge
    population_diversity: Gauge
    unique_strategy_count: Gauge
    population_size: Gauge
    champion_staleness: Gauge
    champion_updates: Counter
    champion_sharpe_ratio: Gauge
    loop_iteration: Gauge
    active_containers: Gauge
    orphaned_containers: Gauge
    container_memory_usage: Gauge
    container_cpu_usage: Gauge
    container_cleanup_success: Counter
    container_cleanup_failure: Counter
    alerts_triggered_total: Counter
    alerts_triggered: Counter  # alias of alerts_triggered_total
    alert_active: Gauge
    alert_notifications: Counter
    collection_errors: Counter
    rejected_values: Counter

    _free = staticmethod(lambda handle: _native.blocking.finmon_collector_free(handle))

    def __init__(self, strict: bool = False, multiprocess: bool = False, *, slots: int = 0,
                 gauge_mode: GaugeMode | str | None = None) -> None:
        """``multiprocess=True`` makes this the parent of a worker pool: updates made in its
        forked workers, and in spawned ones that call :func:`finmon.attach`, appear in this
        collector's exposition (:mod:`finmon.multiprocess`; ``slots`` processes may live at
        once, 256 by default; ``gauge_mode`` is every gauge's default :class:`GaugeMode`)."""
        if multiprocess:
            handle = _multiprocess.parent_handle(slots, gauge_mode)
        else:
            out = c_void_p()
            _native.check(_native.hot.finmon_collector_new(ctypes.byref(out)))
            handle = out.value or 0
        self._setup(handle, owned=True)
        if multiprocess:
            _multiprocess._publish(self)
        if strict:
            self.strict = True

    @property
    def strict(self) -> bool:
        """True when the hooks raise on values they cannot use instead of skipping them."""
        out = c_int()
        _native.check(_native.hot.finmon_collector_strict(self._live_handle(), ctypes.byref(out)))
        return bool(out.value)

    @strict.setter
    def strict(self, value: bool) -> None:
        _native.check(_native.hot.finmon_collector_set_strict(self._live_handle(), 1 if value else 0))


    @classmethod
    def _borrowed(cls, handle: int) -> MetricsCollector:
        """A wrapper over a collector the library's runtime owns (see :func:`finmon.start`):
        :meth:`close` drains its events but leaves freeing it to the runtime."""
        collector = cls.__new__(cls)
        collector._setup(handle, owned=False)
        return collector

    def _setup(self, handle: int, owned: bool) -> None:
        self._adopt(handle, owned=owned)
        self._lock = threading.Lock()
        self._metrics: dict[str, Metric] = {}
        self._pump: EventPump | None = None
        self._final: tuple[PathArg, PathArg, PathArg] = (None, None, None)
        self._mirror: RegistryMirror | None = None
        # True while the exporter's limits are known to be the library's defaults: a
        # collector made here starts with them; a runtime's may have its config's.
        self._default_limits = owned
        self._ensure_pump()
        for attribute, name in CATALOG.items():
            setattr(self, attribute, self.metric(name))
        for alias, attribute in ALIASES.items():
            setattr(self, alias, getattr(self, attribute))
        _live.add(self)

    # ---- metrics -------------------------------------------------------------------

    def counter(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
        """Register (or get, if identical) a counter."""
        return self._register(Counter, name, documentation, labelnames, None)

    def gauge(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Gauge:
        """Register (or get, if identical) a gauge."""
        return self._register(Gauge, name, documentation, labelnames, None)

    def histogram(self, name: str, documentation: str, labelnames: Sequence[str] = (),
                  buckets: Sequence[float] | None = None) -> Histogram:
        """Register (or get, if identical) a histogram; ``buckets`` default to prometheus_client's."""
        return self._register(Histogram, name, documentation, labelnames, buckets)

    def metric(self, name: str) -> Metric:
        """A registered metric by its Prometheus name."""
        cached = self._metrics.get(name)
        if cached is not None:
            return cached
        out = c_void_p()
        _native.check(_native.hot.finmon_metric_lookup(self._live_handle(), _native.encode(name, "name"),
                                                        ctypes.byref(out)))
        return self._wrap(out.value or 0, name)

    def unregister(self, metric: Metric) -> None:
        """Remove a metric from this collector."""
        if not isinstance(metric, Metric):
            raise TypeError(f"unregister() takes a finmon metric, got {type(metric).__name__}: {metric!r}")
        _native.check(_native.hot.finmon_metric_unregister(self._live_handle(), metric._handle))
        self._metrics.pop(metric.name, None)

    def batch(self) -> Batch:
        """A :class:`Batch` of updates applied in one native call."""
        return Batch()

    def prepare_batch(self, updates: list[tuple[str, Child | Metric]]) -> PreparedBatch:
        """Bind a fixed list of ``(verb, metric or child)`` updates once; see :class:`PreparedBatch`."""
        return PreparedBatch(updates)

    def get_sample_value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """A sample's value as prometheus_client's ``REGISTRY.get_sample_value`` finds it, or None."""
        if labels is not None and not isinstance(labels, Mapping):
            raise TypeError(f"labels must be a mapping of label names to values, got {type(labels).__name__}: {labels!r}")
        labels = labels or {}
        names = [_native.encode(k, "a label name") for k in labels]
        values = [_native.encode(v, "a label value") for v in labels.values()]
        out = c_double()
        rc = _native.hot.finmon_collector_sample_value(
            self._live_handle(), _native.encode(name, "name"), _native.string_array(names),
            _native.string_array(values), len(names), ctypes.byref(out))
        if rc == Status.NOT_FOUND:
            return None
        _native.check(rc)
        return out.value

    def generate_latest(self, openmetrics: bool = False) -> bytes:
        """The exposition text, as a scrape would get it."""
        out = c_void_p()
        length = c_size_t()
        _native.check(_native.hot.finmon_collector_exposition(
            self._live_handle(), Format.OPENMETRICS if openmetrics else Format.PROMETHEUS_TEXT, ctypes.byref(out), ctypes.byref(length)))
        return _native.take_string(out, length.value)

    # prometheus_client's custom-collector protocol (see finmon.bridge): a loop's existing
    # registry serves finmon's families after ``REGISTRY.register(collector)``.

    def collect(self) -> Iterator[Any]:
        """finmon's families as prometheus_client ``Metric`` objects (but the ``process_*``
        ones prometheus_client's ProcessCollector exports too)."""
        from .bridge import ClientCollector
        return ClientCollector(self).collect()

    def describe(self) -> list[Any]:
        """The families ``collect`` yields, for the registry's duplicate-name check."""
        return list(self.collect())

    # ---- exporter and lifecycle ----------------------------------------------------

    def start_http_server(self, port: int = 8000, addr: str = "127.0.0.1", retry_interval: float = 5.0, *,
                          max_connections: int | None = None, read_timeout_seconds: float | None = None,
                          idle_timeout_seconds: float | None = None,
                          web_config_file: PathArg = None) -> int | None:
        """Serve ``/metrics`` and ``/healthz``; return the bound port.

        If the port is in use, the warning "Metrics export disabled, Prometheus unavailable"
        is logged on the ``finmon`` logger, None is returned, collecting goes on, and the
        exporter binds by itself once the port is free (checked every ``retry_interval`` s,
        0.1 to 3600 as ``monitoring.prometheus.retry_interval`` in the settings table).

        The limits are the config's keys of the same names (None: their defaults): at most
        ``max_connections`` connections at once (past it, the one waiting longest for a
        request is closed), ``read_timeout_seconds`` for a new connection to send a whole
        request, ``idle_timeout_seconds`` between keep-alive requests. Connections they close
        count in ``finmon_exporter_connections_rejected_total{reason}``.

        ``web_config_file`` (``monitoring.prometheus.web_config_file``) is a web configuration
        file in Prometheus exporter-toolkit's format: everything served is then behind its
        TLS (``tls_server_config``) and basic authentication (``basic_auth_users``, bcrypt
        hashes). It is loaded now; a problem in it, or a certificate or hash it names, raises
        :class:`~finmon.errors.ConfigError` with ``file``, ``line`` and ``key_path``.
        """
        if not isinstance(port, int) or isinstance(port, bool):
            raise TypeError(f"port must be an int, got {type(port).__name__}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {port}")
        defaults = max_connections is None and read_timeout_seconds is None and idle_timeout_seconds is None
        # The library's limits are already the defaults: skip the settings table, whose
        # module (dataclasses, the table as Python objects) costs ~1.5 MiB for a loop that
        # never reads a config.
        if not (defaults and self._default_limits):
            from .config import default

            def limit(value: object, key: str) -> object:
                return default(f"monitoring.prometheus.{key}") if value is None else value

            _native.check(_native.hot.finmon_exporter_configure(
                self._live_handle(), _args.int64(limit(max_connections, "max_connections"), "max_connections"),
                _args.real(limit(read_timeout_seconds, "read_timeout_seconds"), "read_timeout_seconds"),
                _args.real(limit(idle_timeout_seconds, "idle_timeout_seconds"), "idle_timeout_seconds")))
            self._default_limits = defaults
        _native.check(_native.blocking.finmon_exporter_configure_web(
            self._live_handle(), path_arg(web_config_file, "web_config_file")))
        self._ensure_pump()
        bound = c_int(-1)
        _native.check(_native.blocking.finmon_exporter_start(
            self._live_handle(), _native.encode(addr, "addr"), port, _args.real(retry_interval, "retry_interval"),
            ctypes.byref(bound)))
        return bound.value if bound.value >= 0 else None

    @property
    def exporter_port(self) -> int | None:
        """The port being served, or None (stopped, or waiting for a busy port)."""
        out = c_int(-1)
        _native.check(_native.hot.finmon_exporter_port(self._live_handle(), ctypes.byref(out)))
        return out.value if out.value >= 0 else None

    def stop_http_server(self) -> None:
        """Stop serving; collecting goes on."""
        _native.check(_native.blocking.finmon_exporter_stop(self._live_handle()))

    def stop(self) -> None:
        """Stop every library thread (exporter, samplers) and join them. Can be started again."""
        if self._handle is None:
            return
        _native.check(_native.blocking.finmon_collector_stop(self._handle))

    def close(self) -> None:
        """Stop and free the native collector; the object is unusable afterwards. (The
        collector of a :class:`~finmon.Runtime` is freed by the runtime's ``stop``.)"""
        with self._lock:
            handle = self._detach()
        if handle is None:
            return
        if self._mirror is not None:
            self._mirror._stopped.set()  # its thread ends; the attached text goes with the handle
        _multiprocess._unpublish(handle)
        if self._owned:
            _native.hot.finmon_events_close(handle)
        if self._pump is not None:
            self._pump.stop()  # what is queued is still logged
            self._pump = None
        if self._owned:
            self._release(handle)

    # ---- internals -----------------------------------------------------------------

    def _ensure_pump(self) -> None:
        if self._handle is not None and (self._pump is None or not self._pump.alive):
            self._pump = EventPump(self._handle)

    def _register(self, kind: type[_M], name: str, documentation: str, labelnames: Sequence[str],
                  buckets: Sequence[float] | None) -> _M:
        # str() would turn None into a metric named "None" and "123" into buckets 1, 2, 3.
        _require_str(name, "name")
        _require_str(documentation, "documentation")
        if isinstance(labelnames, str):
            raise TypeError("labelnames must be a sequence of names, not a string")
        for label in labelnames:
            _require_str(label, "a label name")
        names = [_native.encode(label, "a label name") for label in labelnames]
        bucket_array = None
        if isinstance(buckets, (str, bytes)):
            raise TypeError(f"buckets must be a sequence of numbers, not a {type(buckets).__name__}: {buckets!r}")
        if buckets is not None:
            try:
                bucket_array = (c_double * len(buckets))(*[float(b) for b in buckets])
            except (TypeError, ValueError):
                raise TypeError(f"buckets must be numbers, got {buckets!r}") from None
        out = c_void_p()
        _native.check(_native.hot.finmon_metric_register(
            self._live_handle(), kind._type_code, _native.encode(name, "name"),
            _native.encode(documentation, "documentation"), _native.string_array(names), len(names),
            bucket_array, len(buckets) if buckets is not None else 0, ctypes.byref(out)))
        metric = self._wrap(out.value or 0, name, tuple(labelnames), kind._type_code, documentation)
        assert isinstance(metric, kind)
        return metric

    def _wrap(self, handle: int, name: str, labelnames: tuple[str, ...] | None = None,
              type_code: int | None = None, documentation: str = "") -> Metric:
        cached = self._metrics.get(name)
        if cached is not None and cached._handle == handle:
            return cached
        if labelnames is None or type_code is None:
            out = c_void_p()
            _native.check(_native.hot.finmon_metric_describe(handle, ctypes.byref(out)))
            described = json.loads(_native.take_string(out))
            type_code = _TYPE_CODES[described["type"]]
            labelnames = tuple(described["labels"])
            documentation = described["help"]
        metric = _KINDS[type_code](self, handle, name, documentation, labelnames)
        self._metrics[name] = metric
        return metric


def _require_str(value: object, what: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}: {value!r}")
