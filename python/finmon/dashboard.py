"""The Grafana dashboard for finmon, generated from the monitoring config.

``config/grafana_dashboard.json`` is this module's output for the committed
``config/monitoring_config.yaml``: the threshold lines (memory, CPU, diversity,
champion staleness, success rate, orphaned containers) are the alert thresholds,
the minimum query interval is the Prometheus scrape interval
(``monitoring.prometheus.scrape_interval``), the auto-refresh is
``grafana.refresh_interval``, and the Prometheus at ``grafana.datasource_url`` is named
in the datasource input and linked from the dashboard. The JSON is Grafana's import
format (Grafana 9+, schema 36): importing it asks for one Prometheus data source
(``__inputs``).

Regenerate it after changing the config (``--write`` writes it to ``grafana.dashboard_path``)::

    python -m finmon dashboard config/monitoring_config.yaml --write

Example:
    >>> from finmon.dashboard import DashboardThresholds, render
    >>> board = render(DashboardThresholds(memory_percent=75))
    >>> board["title"], board["schemaVersion"]
    ('finmon - strategy evolution loop', 36)
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

from ._promql import duration
from .config import MonitoringConfig, default, setting

__all__ = [
    "DASHBOARD_TITLE",
    "DASHBOARD_UID",
    "DashboardThresholds",
    "Panel",
    "Row",
    "Threshold",
    "duration",
    "expressions",
    "layout",
    "main",
    "markdown_table",
    "render",
    "render_json",
]

DASHBOARD_TITLE = "finmon - strategy evolution loop"
DASHBOARD_UID = "finmon-loop"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DURATION = re.compile(r"([0-9]+(ms|s|m|h|d|w|y))+\Z")


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {number}")
    return number


def _plain(value: float) -> int | float:
    """80.0 -> 80 (as a person wrote it, and as the alert rules print it)."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


@dataclass(frozen=True)
class DashboardThresholds:
    """The config values the dashboard shows; defaults are those of monitoring_config.yaml.

    Example:
        >>> DashboardThresholds().memory_percent
        80.0
        >>> DashboardThresholds(cpu_percent=0)
        Traceback (most recent call last):
        ...
        ValueError: cpu_percent must be in (0, 100], got 0.0
    """

    memory_percent: float = default("monitoring.alerts.memory_threshold_percent")
    cpu_percent: float = default("monitoring.alerts.cpu_threshold_percent")
    diversity: float = default("monitoring.alerts.diversity_collapse.threshold")
    staleness_iterations: int = default("monitoring.alerts.champion_staleness.threshold_iterations")
    success_rate_percent: float = default("monitoring.alerts.success_rate.threshold_percent")
    orphaned_containers: int = default("monitoring.alerts.orphaned_containers.threshold")
    scrape_interval_seconds: float = default("monitoring.prometheus.scrape_interval")
    datasource: str = default("grafana.datasource_name")
    refresh_interval: str = default("grafana.refresh_interval")
    datasource_url: str = default("grafana.datasource_url")

    def __post_init__(self) -> None:
        for name in ("memory_percent", "cpu_percent", "success_rate_percent"):
            value = _number(getattr(self, name), name)
            if not 0 < value <= 100:
                raise ValueError(f"{name} must be in (0, 100], got {value}")
        diversity = _number(self.diversity, "diversity")
        if not 0 <= diversity <= 1:
            raise ValueError(f"diversity must be in [0, 1], got {diversity}")
        for name in ("staleness_iterations", "orphaned_containers"):
            if _number(getattr(self, name), name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if _number(self.scrape_interval_seconds, "scrape_interval_seconds") <= 0:
            raise ValueError(f"scrape_interval_seconds must be > 0, got {self.scrape_interval_seconds}")
        if not isinstance(self.datasource, str) or not _IDENTIFIER.match(self.datasource):
            # Grafana substitutes ${NAME} on import; anything else stays a literal uid.
            raise ValueError(f"datasource must be an identifier like DS_PROMETHEUS, got {self.datasource!r}")
        if not isinstance(self.refresh_interval, str) or not _DURATION.match(self.refresh_interval):
            raise ValueError(f"refresh_interval must be a duration such as '5s', got {self.refresh_interval!r}")
        if not isinstance(self.datasource_url, str) or not self.datasource_url.startswith(("http://", "https://")):
            raise ValueError(f"datasource_url must be an http:// or https:// URL, got {self.datasource_url!r}")

    @classmethod
    def from_config(cls, cfg: Any) -> DashboardThresholds:
        """Read the thresholds from a ``finmon.MonitoringConfig`` (any object with its
        attribute tree will do).

        Example:
            >>> from types import SimpleNamespace as NS
            >>> cfg = NS(monitoring=NS(prometheus=NS(scrape_interval=10),
            ...                        alerts=NS(memory_threshold_percent=70, cpu_threshold_percent=95,
            ...                                  diversity_collapse=NS(threshold=0.2),
            ...                                  champion_staleness=NS(threshold_iterations=30),
            ...                                  success_rate=NS(threshold_percent=25),
            ...                                  orphaned_containers=NS(threshold=5))),
            ...          grafana=NS(datasource_name="DS_PROM", refresh_interval="10s",
            ...                     datasource_url="http://prometheus:9090"))
            >>> DashboardThresholds.from_config(cfg).refresh_interval
            '10s'
        """

        def read(path: str) -> Any:
            return setting(cfg, path)

        return cls(
            memory_percent=read("monitoring.alerts.memory_threshold_percent"),
            cpu_percent=read("monitoring.alerts.cpu_threshold_percent"),
            diversity=read("monitoring.alerts.diversity_collapse.threshold"),
            staleness_iterations=read("monitoring.alerts.champion_staleness.threshold_iterations"),
            success_rate_percent=read("monitoring.alerts.success_rate.threshold_percent"),
            orphaned_containers=read("monitoring.alerts.orphaned_containers.threshold"),
            scrape_interval_seconds=read("monitoring.prometheus.scrape_interval"),
            datasource=read("grafana.datasource_name"),
            refresh_interval=read("grafana.refresh_interval"),
            datasource_url=read("grafana.datasource_url"),
        )


# ---- layout -----------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """A threshold line: ``value``, and whether values above it (else below) are bad."""

    value: float
    bad_above: bool = True


@dataclass(frozen=True)
class Panel:
    """One time-series panel: (legend, PromQL) pairs, a Grafana unit, an optional
    threshold line and axis bounds."""

    title: str
    description: str
    queries: tuple[tuple[str, str], ...]
    unit: str
    threshold: Threshold | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


def layout(t: DashboardThresholds) -> tuple[Row, ...]:
    """The dashboard's rows and panels, with their queries and threshold lines.

    Example:
        >>> [row.title for row in layout(DashboardThresholds())]
        ['Resource Usage', 'Strategy Performance', 'Diversity', 'Containers']
    """
    # GB are 10^9 bytes (SI, Grafana unit `decgbytes`, as `free --si -g` and the Docker
    # CLI count), not 2^30.
    gb = "1e9"
    # Grafana's $__rate_interval: at least 4 x the query's min step, which every target
    # sets to the scrape interval, so a rate always spans several samples.
    window = "$__rate_interval"
    return (
        Row("Resource Usage", (
            Panel("Memory (GB)",
                  "Host memory in use and in total, and the loop process' resident memory, in GB (10^9 bytes).",
                  (("used", f"system_memory_usage_bytes / {gb}"),
                   ("total", f"system_memory_total_bytes / {gb}"),
                   ("loop process RSS", f"process_resident_memory_bytes / {gb}")),
                  unit="decgbytes", min=0),
            Panel("Memory used (%)",
                  f"Host memory in use, in percent of the total; the line is the high_memory alert "
                  f"threshold ({_plain(float(t.memory_percent))}%).",
                  (("memory", "100 * system_memory_usage_bytes / system_memory_total_bytes"),),
                  unit="percent", threshold=Threshold(float(t.memory_percent)), min=0, max=100),
            Panel("CPU (%)",
                  f"Host CPU busy time in percent of all CPUs; the line is the high_cpu alert threshold "
                  f"({_plain(float(t.cpu_percent))}%).",
                  (("cpu", "system_cpu_usage_percent"),),
                  unit="percent", threshold=Threshold(float(t.cpu_percent)), min=0, max=100),
            Panel("Execution time per iteration",
                  "Wall-clock time of one loop iteration: the mean and the 95th percentile over the rate window.",
                  (("mean", f"rate(execution_time_seconds_sum[{window}]) / rate(execution_time_seconds_count[{window}])"),
                   ("p95", f"histogram_quantile(0.95, sum by (le) (rate(execution_time_seconds_bucket[{window}])))")),
                  unit="s", min=0),
        )),
        Row("Strategy Performance", (
            Panel("Success rate (rolling)",
                  f"Successful strategies over the rolling success window, in percent; the line is the "
                  f"low_success_rate alert threshold ({_plain(float(t.success_rate_percent))}%).",
                  (("success rate", "100 * strategy_success_rate"),),
                  unit="percent", threshold=Threshold(float(t.success_rate_percent), bad_above=False),
                  min=0, max=100),
            Panel("Sharpe ratio",
                  "Sharpe ratio of the latest evaluated strategy and of the champion.",
                  (("latest strategy", "strategy_sharpe_ratio"),
                   ("champion", "champion_sharpe_ratio")),
                  unit="none"),
            Panel("Max drawdown",
                  "Maximum drawdown of the latest evaluated strategy (a negative fraction of the peak).",
                  (("max drawdown", "strategy_max_drawdown"),),
                  unit="percentunit", max=0),
        )),
        Row("Diversity", (
            Panel("Population diversity",
                  f"Diversity of the population's parameters; the line is the diversity_collapse alert "
                  f"threshold ({_plain(float(t.diversity))}).",
                  (("diversity", "population_diversity"),),
                  unit="none", threshold=Threshold(float(t.diversity), bad_above=False), min=0),
            Panel("Unique vs total strategies",
                  "Distinct strategies in the population against the population size.",
                  (("unique", "unique_strategy_count"),
                   ("total", "population_size")),
                  unit="none", min=0),
            Panel("Champion age (iterations)",
                  f"Iterations since the champion last changed; the line is the champion_staleness alert "
                  f"threshold ({_plain(float(t.staleness_iterations))} iterations).",
                  (("iterations since update", "champion_staleness_iterations"),),
                  unit="none", threshold=Threshold(float(t.staleness_iterations)), min=0),
        )),
        Row("Containers", (
            Panel("Active containers",
                  "Sandbox containers created and not yet cleaned up.",
                  (("active", "active_containers"),),
                  unit="none", min=0),
            Panel("Container memory (total)",
                  "Memory of all sandbox containers together (0 when none runs).",
                  # `or vector(0)`: with no container the family has no series, and an
                  # operator should see 0, not "No data".
                  (("total", "sum(container_memory_usage_bytes) or vector(0)"),),
                  unit="bytes", min=0),
            Panel("Orphaned containers",
                  f"Exited sandbox containers left behind; the line is the orphaned_containers alert "
                  f"threshold ({_plain(float(t.orphaned_containers))}).",
                  (("orphaned", "orphaned_containers"),),
                  unit="none", threshold=Threshold(float(t.orphaned_containers)), min=0),
        )),
    )


def _champion_annotation_expr(t: DashboardThresholds) -> str:
    # changes() counts each increment of the counter (a rate would smear it); the window
    # spans two scrapes so every update lands in it at one step at least.
    return f"changes(champion_updates_total[{duration(2 * float(t.scrape_interval_seconds))}]) > 0"


# ---- rendering --------------------------------------------------------------------

_PANEL_HEIGHT = 8
_GRID_WIDTH = 24


def _datasource(t: DashboardThresholds) -> dict[str, str]:
    return {"type": "prometheus", "uid": f"${{{t.datasource}}}"}


def _thresholds(threshold: Threshold | None) -> dict[str, Any]:
    if threshold is None:
        steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    elif threshold.bad_above:
        steps = [{"color": "green", "value": None}, {"color": "red", "value": _plain(threshold.value)}]
    else:
        steps = [{"color": "red", "value": None}, {"color": "green", "value": _plain(threshold.value)}]
    return {"mode": "absolute", "steps": steps}


def _timeseries(panel: Panel, panel_id: int, x: int, y: int, width: int, t: DashboardThresholds) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "color": {"mode": "palette-classic"},
        "custom": {
            "axisCenteredZero": False,
            "axisColorMode": "text",
            "axisLabel": "",
            "axisPlacement": "auto",
            "barAlignment": 0,
            "drawStyle": "line",
            "fillOpacity": 10,
            "gradientMode": "none",
            "hideFrom": {"legend": False, "tooltip": False, "viz": False},
            "lineInterpolation": "linear",
            "lineWidth": 1,
            "pointSize": 4,
            "scaleDistribution": {"type": "linear"},
            "showPoints": "auto",
            "spanNulls": False,
            "stacking": {"group": "A", "mode": "none"},
            "thresholdsStyle": {"mode": "line" if panel.threshold is not None else "off"},
        },
        "mappings": [],
        "thresholds": _thresholds(panel.threshold),
        "unit": panel.unit,
    }
    if panel.min is not None:
        defaults["min"] = _plain(float(panel.min))
    if panel.max is not None:
        defaults["max"] = _plain(float(panel.max))
    return {
        "datasource": _datasource(t),
        "description": panel.description,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "gridPos": {"h": _PANEL_HEIGHT, "w": width, "x": x, "y": y},
        "id": panel_id,
        # Panel min interval (bounds $__interval) and each target's min step (what
        # Grafana takes as the scrape interval for $__rate_interval) are the scrape
        # interval: finer steps show nothing new.
        "interval": duration(float(t.scrape_interval_seconds)),
        "options": {
            "legend": {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
        "targets": [
            {
                "datasource": _datasource(t),
                "editorMode": "code",
                "expr": expr,
                "interval": duration(float(t.scrape_interval_seconds)),
                "legendFormat": legend,
                "range": True,
                "refId": chr(ord("A") + index),
            }
            for index, (legend, expr) in enumerate(panel.queries)
        ],
        "title": panel.title,
        "type": "timeseries",
    }


def render(thresholds: DashboardThresholds) -> dict[str, Any]:
    """The dashboard as a JSON-ready dict, in Grafana's import format.

    Example:
        >>> board = render(DashboardThresholds())
        >>> [p["title"] for p in board["panels"] if p["type"] == "row"]
        ['Resource Usage', 'Strategy Performance', 'Diversity', 'Containers']
    """
    t = thresholds
    panels: list[dict[str, Any]] = []
    next_id = 1
    y = 0
    for row in layout(t):
        panels.append({
            "collapsed": False,
            "gridPos": {"h": 1, "w": _GRID_WIDTH, "x": 0, "y": y},
            "id": next_id,
            "panels": [],
            "title": row.title,
            "type": "row",
        })
        next_id += 1
        y += 1
        width = _GRID_WIDTH // len(row.panels)
        for index, panel in enumerate(row.panels):
            panels.append(_timeseries(panel, next_id, index * width, y, width, t))
            next_id += 1
        y += _PANEL_HEIGHT

    refresh = t.refresh_interval
    return {
        "__inputs": [{
            "name": t.datasource,
            "label": "Prometheus",
            "description": f"The Prometheus that scrapes finmon's exporter ({t.datasource_url})",
            "type": "datasource",
            "pluginId": "prometheus",
            "pluginName": "Prometheus",
        }],
        "__elements": {},
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "9.0.0"},
            {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
            {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
        ],
        "annotations": {"list": [
            {
                "builtIn": 1,
                "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True,
                "hide": True,
                "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts",
                "target": {"limit": 100, "matchAny": False, "tags": [], "type": "dashboard"},
                "type": "dashboard",
            },
            {
                "datasource": _datasource(t),
                "enable": True,
                "expr": _champion_annotation_expr(t),
                "hide": False,
                "iconColor": "green",
                "name": "Champion updates",
                "step": duration(float(t.scrape_interval_seconds)),
                "tagKeys": "",
                "textFormat": "champion_updates_total increased",
                "titleFormat": "New champion",
                "useValueForTime": False,
            },
        ]},
        "description": "Resources, strategy performance, population diversity and sandbox containers "
                       "of an autonomous strategy-evolution loop, as exported by finmon.",
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [{"title": "Prometheus", "type": "link", "url": t.datasource_url, "icon": "external link",
                   "targetBlank": True, "tooltip": "The Prometheus this dashboard reads", "asDropdown": False,
                   "includeVars": False, "keepTime": False, "tags": []}],
        "liveNow": False,
        "panels": panels,
        "refresh": refresh,
        "schemaVersion": 36,
        "style": "dark",
        "tags": ["finmon"],
        "templating": {"list": []},
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {"refresh_intervals": list(dict.fromkeys([refresh, "5s", "10s", "30s", "1m", "5m"]))},
        "timezone": "",
        "title": DASHBOARD_TITLE,
        "uid": DASHBOARD_UID,
        "version": 1,
        "weekStart": "",
    }


def render_json(thresholds: DashboardThresholds) -> str:
    """``render`` as text: two-space indent, the order ``render`` builds, a final newline.
    The same thresholds give the same bytes, so the committed file can be compared.

    Example:
        >>> render_json(DashboardThresholds()).endswith("}\\n")
        True
    """
    return json.dumps(render(thresholds), indent=2, ensure_ascii=False) + "\n"


def expressions(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression in a rendered dashboard: panel targets, then annotations,
    each once, in order.

    Example:
        >>> expressions(render(DashboardThresholds()))[0]
        'system_memory_usage_bytes / 1e9'
    """
    found: list[str] = []
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            if target.get("expr"):
                found.append(target["expr"])
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if annotation.get("expr"):
            found.append(annotation["expr"])
    return list(dict.fromkeys(found))


def markdown_table(thresholds: DashboardThresholds) -> str:
    """The panel layout as a Markdown table (row, panel, queries, unit, threshold line).

    Example:
        >>> markdown_table(DashboardThresholds()).splitlines()[0]
        '| Row | Panel | Query (legend: PromQL) | Unit | Threshold line |'
    """
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| Row | Panel | Query (legend: PromQL) | Unit | Threshold line |",
             "| --- | --- | --- | --- | --- |"]
    for row in layout(thresholds):
        for panel in row.panels:
            queries = "<br>".join(f"{cell(legend)}: `{cell(expr)}`" for legend, expr in panel.queries)
            if panel.threshold is None:
                line = ""
            else:
                low = "" if panel.threshold.bad_above else " (low is bad)"
                line = f"{_plain(panel.threshold.value)}{low}"
            lines.append(f"| {row.title} | {cell(panel.title)} | {queries} | `{panel.unit}` | {line} |")
    annotation = cell(_champion_annotation_expr(thresholds))
    lines.append(f"| (annotation) | Champion updates | `{annotation}` | | |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m finmon dashboard [CONFIG] [-o FILE | --write] [--markdown]``: print the
    dashboard JSON for CONFIG (the documented defaults without one); returns the exit status.

    Example:
        >>> main(["--markdown"])  # doctest: +ELLIPSIS
        | Row | Panel | ...
        0
    """
    parser = argparse.ArgumentParser(
        prog="python -m finmon dashboard",
        description="Print finmon's Grafana dashboard (JSON, Grafana 9+ import format) "
                    "with the thresholds of a monitoring config.")
    parser.add_argument("config", nargs="?", help="monitoring_config.yaml (default: the built-in defaults)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", help="write to this file instead of standard output")
    where.add_argument("--write", action="store_true", help="write to the config's grafana.dashboard_path")
    parser.add_argument("--markdown", action="store_true",
                        help="print the panel layout as a Markdown table instead of the JSON")
    args = parser.parse_args(argv)

    try:
        cfg = MonitoringConfig.defaults() if args.config is None else MonitoringConfig.from_yaml(args.config)
        thresholds = DashboardThresholds.from_config(cfg)
    except (OSError, TypeError, ValueError) as error:  # ConfigError is a ValueError
        print(f"finmon dashboard: {error}", file=sys.stderr)
        return 2

    text = markdown_table(thresholds) if args.markdown else render_json(thresholds)
    output = cfg.grafana.dashboard_path if args.write else args.output
    if output is None:
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
