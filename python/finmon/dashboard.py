"""The Grafana dashboard for finmon, generated from the monitoring config.

``config/grafana_dashboard.json`` is this module's output for the committed
``config/monitoring_config.yaml``. It draws the original design's four panels as 2x2
quadrants (Resource Usage top left, Strategy Performance top right, Diversity bottom
left, Container Stats bottom right), each with the design's three graphs and threshold
lines (the config's alert thresholds), under a row of current values and an alert-state
panel. Every query selects with the template variables (``job``, ``instance`` and
``run_id``, see ``VARIABLES``) and aggregates ``by`` them, so several loops in one Prometheus are never
summed together. The data source is the ``datasource`` variable: imported, Grafana asks
for it (``__inputs``) and it defaults to the answer; provisioned from the file, it
defaults to the default Prometheus.

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

from ._grafana import render as _render
from ._panels import (Panel, Quadrant, Stat, Threshold, Variable, alert_state, champion_annotation, layout, plain,
                      stats, variables)
from ._promql import duration
from .config import MonitoringConfig, default, setting

__all__ = [
    "DASHBOARD_TITLE",
    "DASHBOARD_UID",
    "DashboardThresholds",
    "Panel",
    "Quadrant",
    "Stat",
    "Threshold",
    "Variable",
    "duration",
    "expressions",
    "layout",
    "main",
    "markdown_table",
    "render",
    "render_json",
    "stats",
    "variables",
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


def render(thresholds: DashboardThresholds) -> dict[str, Any]:
    """The dashboard as a JSON-ready dict, in Grafana's import format.

    Example:
        >>> board = render(DashboardThresholds())
        >>> [p["title"] for p in board["panels"] if p["type"] == "text"]
        ['Resource Usage', 'Strategy Performance', 'Diversity', 'Container Stats']
    """
    return _render(thresholds, title=DASHBOARD_TITLE, uid=DASHBOARD_UID)


def render_json(thresholds: DashboardThresholds) -> str:
    """``render`` as text: two-space indent, the order ``render`` builds, a final newline.
    The same thresholds give the same bytes, so the committed file can be compared.

    Example:
        >>> render_json(DashboardThresholds()).endswith("}\\n")
        True
    """
    return json.dumps(render(thresholds), indent=2, ensure_ascii=False) + "\n"


def expressions(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression in a rendered dashboard: panel targets, then template
    variable queries, then annotations, each once, in order.

    Example:
        >>> expressions(render(DashboardThresholds()))[0]
        'up{job=~"$job",instance=~"$instance",run_id=~"$run_id"}'
    """
    found: list[str] = []
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            if target.get("expr"):
                found.append(target["expr"])
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            found.append(variable["definition"])
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if annotation.get("expr"):
            found.append(annotation["expr"])
    return list(dict.fromkeys(found))


def markdown_table(thresholds: DashboardThresholds) -> str:
    """The layout as a Markdown table (place, panel, queries, unit, threshold line).

    Example:
        >>> markdown_table(DashboardThresholds()).splitlines()[0]
        '| Place | Panel | Query (legend: PromQL) | Unit | Threshold line |'
    """
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    def queries(pairs: Sequence[tuple[str, str]]) -> str:
        return "<br>".join(f"{cell(legend)}: `{cell(expr)}`" for legend, expr in pairs)

    lines = ["| Place | Panel | Query (legend: PromQL) | Unit | Threshold line |",
             "| --- | --- | --- | --- | --- |"]
    for stat in stats(thresholds):
        line = "" if stat.threshold is None else _threshold_text(stat.threshold)
        lines.append(f"| top row | {cell(stat.title)} | {queries(((stat.legend, stat.expr),))} | `{stat.unit}` | {line} |")
    lines.append(f"| second row | Alert state | {queries((('{{instance}} {{alertname}}', alert_state()),))} "
                 "| 0 ok, 1 firing | |")
    for quadrant in layout(thresholds):
        for panel in quadrant.panels:
            line = "" if panel.threshold is None else _threshold_text(panel.threshold)
            lines.append(f"| {quadrant.place}: {quadrant.title} | {cell(panel.title)} | {queries(panel.queries)} "
                         f"| `{panel.unit}` | {line} |")
    lines.append(f"| annotation | Champion updates | `{cell(champion_annotation(thresholds))}` | | |")
    return "\n".join(lines) + "\n"


def _threshold_text(threshold: Threshold) -> str:
    if threshold.of is not None:
        return f"{plain(threshold.value)}% of total (drawn as a series)"
    return f"{plain(threshold.value)}" + ("" if threshold.bad_above else " (low is bad)")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m finmon dashboard [CONFIG] [-o FILE | --write] [--markdown]``: print the
    dashboard JSON for CONFIG (the documented defaults without one); returns the exit status.

    Example:
        >>> main(["--markdown"])  # doctest: +ELLIPSIS
        | Place | Panel | ...
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
                        help="print the layout as a Markdown table instead of the JSON")
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
