"""The panels of finmon's live page and report, generated from the dashboard's own
definition (``finmon._panels``), so the page and Grafana show the same titles, units and
threshold lines; and ``report``, which rebuilds ``report.html`` from ``metrics_final.json``.

The page cannot run PromQL: each query of ``_panels`` is translated into one of the few
operations the page computes over the library's history (a series scaled, a sum over
labels, a histogram's mean or quantile over a rate window). A query of another shape is
an error here, so a panel added to the dashboard fails the test that keeps the page's
copy current instead of vanishing from the page. Thresholds are config keys the page
looks up in ``/api/history``'s ``thresholds`` (the running library's config).

The library embeds the result (``Sources/CFinMonPage/assets/panels.json``); regenerate
it after changing ``_panels``::

    python -m finmon.livepage > Sources/CFinMonPage/assets/panels.json

Example:
    >>> [q["title"] for q in spec()["quadrants"]]
    ['Resource Usage', 'Strategy Performance', 'Diversity', 'Container Stats']
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from . import _panels
from ._panels import Panel, Stat, Threshold

__all__ = ["spec", "spec_json", "translate", "write_report"]

#: Each Limits field and the config key it is read from (as DashboardThresholds.from_config).
LIMIT_KEYS: dict[str, str] = {
    "memory_percent": "monitoring.alerts.memory_threshold_percent",
    "cpu_percent": "monitoring.alerts.cpu_threshold_percent",
    "diversity": "monitoring.alerts.diversity_collapse.threshold",
    "staleness_iterations": "monitoring.alerts.champion_staleness.threshold_iterations",
    "success_rate_percent": "monitoring.alerts.success_rate.threshold_percent",
    "orphaned_containers": "monitoring.alerts.orphaned_containers.threshold",
}
# Distinct stand-ins for the limits, recognisable in thresholds and descriptions.
_BASE = 7_000_001


@dataclass(frozen=True)
class _MarkedLimits:
    memory_percent: float = _BASE + 0
    cpu_percent: float = _BASE + 1
    diversity: float = _BASE + 2
    staleness_iterations: int = _BASE + 3
    success_rate_percent: float = _BASE + 4
    orphaned_containers: int = _BASE + 5
    scrape_interval_seconds: float = 5.0


_MARKS = {_BASE + i: LIMIT_KEYS[name] for i, name in enumerate(LIMIT_KEYS)}


def translate(expr: str) -> dict[str, Any]:
    """The page's operation for one PromQL query of ``_panels``.

    Example:
        >>> from finmon._panels import selector
        >>> translate(f"system_memory_total_bytes{selector()} / 1e9")
        {'op': 'series', 'name': 'system_memory_total_bytes', 'scale': 1e-09}
    """
    s = re.escape(_panels.selector())
    rate = r"\[\$__rate_interval\]"
    forms: list[tuple[str, Any]] = [
        # The page is served by the loop's own exporter: while it answers, the loop is up.
        (rf"up{s}", lambda m: {"op": "const", "value": 1}),
        (rf"(\w+){s}", lambda m: {"op": "series", "name": m[1], "scale": 1}),
        (rf"(\w+){s} / 1e9", lambda m: {"op": "series", "name": m[1], "scale": 1e-9}),
        (rf"100 \* (\w+){s}", lambda m: {"op": "series", "name": m[1], "scale": 100}),
        (rf"sum {re.escape(_panels.by())} \((\w+){s}\) / 1e9 or \w+{s} \* 0",
         lambda m: {"op": "sum", "name": m[1], "scale": 1e-9, "default": 0}),
        (rf"rate\((\w+)_sum{s}{rate}\) / rate\(\1_count{s}{rate}\)", lambda m: {"op": "rate_mean", "name": m[1]}),
        (rf"histogram_quantile\(([0-9.]+), sum {re.escape(_panels.by('le'))} \(rate\((\w+)_bucket{s}{rate}\)\)\)",
         lambda m: {"op": "quantile", "q": float(m[1]), "name": m[2]}),
        (rf"count {re.escape(_panels.by())} \(.*alert_active.*\) or \(up{s} \* 0\)", lambda m: {"op": "alerts"}),
    ]
    for pattern, build in forms:
        match = re.fullmatch(pattern, expr)
        if match:
            return dict(build(match))
    raise ValueError(f"the live page cannot draw the query {expr!r}; teach finmon.livepage.translate its form")


def _number(value: float) -> Any:
    """A limit's config key ({"key": ...}) where ``value`` is a stand-in, else the number."""
    key = _MARKS.get(int(value)) if float(value).is_integer() else None
    return {"key": key} if key else _panels.plain(value)


def _text(text: str) -> str:
    """Descriptions with each stand-in replaced by ``{config.key}`` (filled in by the page)."""
    for mark, key in _MARKS.items():
        text = text.replace(str(mark), "{" + key + "}")
    return text


def _threshold(threshold: Threshold | None) -> dict[str, Any] | None:
    if threshold is None:
        return None
    return {"value": _number(threshold.value), "bad_above": threshold.bad_above,
            "of": translate(threshold.of) if threshold.of else None}


def _legend(legend: str) -> str:
    # One loop per page: the instance is the page's own.
    return legend.replace(" {{instance}}", "").replace("{{instance}}", "value")


def _panel(panel: Panel) -> dict[str, Any]:
    return {"title": panel.title, "description": _text(panel.description), "unit": panel.unit,
            "min": panel.min, "max": panel.max, "threshold": _threshold(panel.threshold),
            "lines": [{"legend": _legend(legend), "expr": translate(expr)} for legend, expr in panel.queries]}


def _stat(stat: Stat) -> dict[str, Any]:
    return {"title": stat.title, "description": _text(stat.description), "unit": stat.unit,
            "decimals": stat.decimals, "threshold": _threshold(stat.threshold), "expr": translate(stat.expr),
            "mappings": [list(m) for m in stat.mappings]}


def spec() -> dict[str, Any]:
    """The page's panels: the row of current values and the four quadrants."""
    limits = _MarkedLimits()
    return {
        "source": "python/finmon/_panels.py",
        "stats": [_stat(s) for s in _panels.stats(limits)],
        "quadrants": [{"place": q.place, "title": q.title, "description": _text(q.description),
                       "panels": [_panel(p) for p in q.panels]} for q in _panels.layout(limits)],
    }


def spec_json() -> str:
    """``spec()`` as the library embeds it (stable key order, one trailing newline)."""
    return json.dumps(spec(), indent=1, sort_keys=True) + "\n"


def write_report(final_json: str | os.PathLike[str], report: str | os.PathLike[str] | None = None) -> str:
    """Rebuild ``report.html`` from a ``metrics_final.json`` (beside it unless ``report``
    names another file); returns the report's path. The library draws it, as at stop."""
    from . import _native

    source = os.fspath(final_json)
    target = os.fspath(report) if report is not None else os.path.join(os.path.dirname(source) or ".", "report.html")
    _native.check(_native.blocking.finmon_report_write(
        _native.encode(source, "final_json"), _native.encode(target, "report")))
    return target


if __name__ == "__main__":
    sys.stdout.write(spec_json())
