"""finmon and prometheus_client on one /metrics endpoint, in either direction.

**finmon's families in prometheus_client's registry**, served by the loop's existing
``prometheus_client.start_http_server(8000)``: a :class:`~finmon.MetricsCollector` is a
prometheus_client custom collector (``collect()`` and ``describe()``)::

    import prometheus_client, finmon
    collector = finmon.MetricsCollector()
    prometheus_client.REGISTRY.register(collector)

``collect()`` renders finmon's registry (in the library) and hands its families to
prometheus_client as its ``Metric`` objects, read by a parser for finmon's own output
(the same families and samples prometheus_client's parser makes, three to four times
faster). ``describe()`` names them for
the registry's duplicate check, so a name both sides define is refused by ``register``
(prometheus_client's ``ValueError: Duplicated timeseries in CollectorRegistry: {...}``,
naming it), whichever side registered first. finmon's six ``process_*`` families that
prometheus_client's ``ProcessCollector`` also exports (same process, same meaning) are
left to it; ``ClientCollector(collector, exclude=())`` keeps them, for a registry without
a ProcessCollector. prometheus_client is imported only when this is used.

**A prometheus_client registry on finmon's exporter**, for a loop that serves finmon's
port: :class:`RegistryMirror` renders the registry on a Python thread every ``interval``
seconds and attaches the text to the library; the exporter thread appends the latest text
to each scrape and never takes the GIL. The registry's values are up to ``interval``
seconds old, and each rendering costs the loop prometheus_client's own rendering time
(Benchmarks/bench_bridge.py measures both directions)::

    mirror = RegistryMirror(collector, prometheus_client.REGISTRY, interval=1.0)   # from finmon.bridge
    collector.start_http_server(8000)
    ...
    mirror.stop()

A name both sides define raises :class:`~finmon.ConflictError` when the mirror starts;
one registered in prometheus_client later is left out of the mirrored text and logged
once. Use one direction per registry: a collector registered in a registry cannot also
mirror it.

Example:
    >>> import prometheus_client, finmon
    >>> registry = prometheus_client.CollectorRegistry()
    >>> jobs = prometheus_client.Counter("jobs", "Jobs done.", registry=registry)
    >>> collector = finmon.MetricsCollector()
    >>> registry.register(collector)
    >>> collector.population_diversity.set(0.25)
    >>> registry.get_sample_value("population_diversity")
    0.25
    >>> collector.close()
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import generate_latest as _render_text
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.exposition import generate_latest as _render_openmetrics
from prometheus_client.samples import Sample

from . import _native
from .errors import ConflictError, InvalidHandleError

if TYPE_CHECKING:
    from .collector import MetricsCollector

__all__ = ["ClientCollector", "PROCESS_FAMILIES", "RegistryMirror"]

#: The families prometheus_client's ProcessCollector exports too (parser names: counters
#: without ``_total``), left to it by default.
PROCESS_FAMILIES = frozenset({
    "process_cpu_seconds", "process_max_fds", "process_open_fds", "process_resident_memory_bytes",
    "process_start_time_seconds", "process_virtual_memory_bytes",
})
#: The sample names a family of each type claims, as prometheus_client's registry counts them.
_SUFFIXES = {
    "counter": ("_total", "_created"), "summary": ("_sum", "_count", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"), "gaugehistogram": ("_gsum", "_gcount"),
    "info": ("_info",),
}
_log = logging.getLogger("finmon")


def families(collector: MetricsCollector, exclude: Iterable[str] = PROCESS_FAMILIES) -> list[Metric]:
    """finmon's families as prometheus_client ``Metric`` objects, without ``exclude``."""
    skipped = frozenset(exclude)
    return [family for family in parse(collector.generate_latest().decode()) if family.name not in skipped]


_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda match: _ESCAPES.get(match.group(1), match.group(0)), text) if "\\" in text else text


def parse(text: str) -> list[Metric]:
    """finmon's text exposition (0.0.4: HELP and TYPE before each family's samples, no
    timestamps) as prometheus_client ``Metric`` objects, named as prometheus_client's
    parser names them (a counter family without ``_total``, its samples with it).

    Example:
        >>> [(m.name, m.type, m.samples[0].value) for m in parse(
        ...     '# HELP jobs_total Jobs.\\n# TYPE jobs_total counter\\njobs_total{kind="a b"} 3.0\\n')]
        [('jobs', 'counter', 3.0)]
    """
    result: list[Metric] = []
    documentation = ""
    metric: Metric | None = None
    counter_without_total = False
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("# "):
            keyword, name, rest = (line[2:].split(" ", 2) + ["", ""])[:3]
            if keyword == "HELP":
                documentation = _unescape(rest)
            elif keyword == "TYPE":
                counter_without_total = rest == "counter" and not name.endswith("_total")
                family = name[:-6] if rest == "counter" and not counter_without_total else name
                metric = Metric(family, documentation, rest)
                result.append(metric)
            continue
        if metric is None:
            raise ValueError(f"a sample before any TYPE line: {line!r}")
        head, _, value = line.rpartition(" ")
        brace = head.find("{")
        if brace < 0:
            name, labels = head, {}
        else:
            name = head[:brace]
            labels = {key: _unescape(raw) for key, raw in _LABEL.findall(head, brace)}
        if counter_without_total:
            name += "_total"
        metric.samples.append(Sample(name, labels, float(value), None, None))
    return result


def claimed_names(metric: Metric) -> set[str]:
    """Every name a family occupies in a registry: its own and its type's sample names."""
    return {metric.name} | {metric.name + suffix for suffix in _SUFFIXES.get(metric.type, ())}


class ClientCollector:
    """A prometheus_client custom collector over a finmon collector, with a choice of the
    families left out (``MetricsCollector.collect`` is this with the defaults)."""

    def __init__(self, collector: MetricsCollector, exclude: Iterable[str] = PROCESS_FAMILIES) -> None:
        self.collector = collector
        self.exclude = frozenset(exclude)

    def collect(self) -> Iterator[Metric]:
        if self.collector._mirror is not None:
            raise ConflictError("this collector mirrors a prometheus_client registry; registering it in one "
                                "too would serve each side twice (use one direction)")
        return iter(families(self.collector, self.exclude))

    def describe(self) -> list[Metric]:
        return list(self.collect())


class RegistryMirror:
    """Serves a prometheus_client registry on finmon's exporter (see the module docs).

    Renders once before returning, so the first scrape has it; ``stop()`` (or closing the
    collector) ends the thread and detaches the text.
    """

    def __init__(self, collector: MetricsCollector, registry: Any, interval: float = 1.0) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be > 0 seconds, got {interval!r}")
        if collector in getattr(registry, "_collector_to_names", {}):
            raise ConflictError("this collector is registered in that registry; mirroring it too would serve "
                                "each side twice (use one direction)")
        if collector._mirror is not None:
            raise ConflictError("this collector already mirrors a registry; stop() it first")
        self.collector = collector
        self.registry = registry
        self.interval = interval
        self._skipped: set[str] = set()
        ours = set().union(*(claimed_names(f) for f in families(collector, exclude=())))
        shared = sorted(ours & set().union(*(claimed_names(m) for m in registry.collect())))
        if shared:
            raise ConflictError(f"finmon and the prometheus_client registry both define {', '.join(shared)}; "
                                "rename one side's metric")
        self._ours = ours
        self._stopped = threading.Event()
        self.refresh()
        collector._mirror = self
        self._thread = threading.Thread(target=self._run, name="finmon-registry-mirror", daemon=True)
        self._thread.start()

    def refresh(self) -> None:
        """Render the registry now and hand it to the exporter."""
        metrics = list(self.registry.collect())
        kept = []
        for metric in metrics:
            if claimed_names(metric) & self._ours:
                if metric.name not in self._skipped:
                    self._skipped.add(metric.name)
                    _log.warning("finmon: prometheus_client's %s is also a finmon metric; it is left out of "
                                 "finmon's /metrics", metric.name)
                continue
            kept.append(metric)
        view = _Snapshot(kept)
        text = _render_text(view)
        openmetrics = _render_openmetrics(view).removesuffix(b"# EOF\n")  # type: ignore[no-untyped-call]
        _native.check(_native.hot.finmon_exporter_attach_exposition(
            self.collector._live_handle(), text, len(text), openmetrics, len(openmetrics)))

    def stop(self) -> None:
        """Stop rendering and detach the text from the exporter."""
        self._stopped.set()
        if self._thread is not threading.current_thread():
            self._thread.join()
        if self.collector._mirror is self:
            self.collector._mirror = None
        handle = self.collector._handle
        if handle is not None:
            _native.hot.finmon_exporter_attach_exposition(handle, None, 0, None, 0)

    def _run(self) -> None:
        failing = False
        while not self._stopped.wait(self.interval):
            try:
                self.refresh()
                failing = False
            except InvalidHandleError:
                return  # the collector was closed
            except Exception:  # a collector of the user's registry failed: keep the last text
                if not failing:
                    _log.exception("finmon: rendering the prometheus_client registry failed; serving the last text")
                failing = True


class _Snapshot:
    """One collection of a registry, rendered twice (text and OpenMetrics)."""

    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> list[Metric]:
        return self._metrics
