"""Grafana's JSON for finmon's dashboard (``finmon._panels`` says what it shows).

The geometry, on Grafana's 24-column grid: a row of current values (y 0, height 4), the
alert state across the width (y 4, height 6), then the design's four panels as quadrants
of 12 columns, each a title and its three graphs stacked (height 2 + 3 x 7).

Example:
    >>> from finmon._grafana import render
    >>> from finmon.dashboard import DashboardThresholds
    >>> board = render(DashboardThresholds(), title="t", uid="u")
    >>> [v["name"] for v in board["templating"]["list"]]
    ['datasource', 'job', 'instance', 'run_id']
"""

from __future__ import annotations

from typing import Any

from ._panels import (Limits, Panel, Stat, Threshold, VARIABLES, alert_state, champion_annotation, layout, plain,
                      stats, variable_query)
from ._promql import duration

__all__ = ["GRID_WIDTH", "QUADRANT_TOP", "render"]

GRID_WIDTH = 24
STAT_HEIGHT = 4
ALERT_STATE_HEIGHT = 6
HEADER_HEIGHT = 2
GRAPH_HEIGHT = 7
#: Where the quadrants start: below the current values and the alert state.
QUADRANT_TOP = STAT_HEIGHT + ALERT_STATE_HEIGHT
QUADRANT_HEIGHT = HEADER_HEIGHT + 3 * GRAPH_HEIGHT

#: Panels and targets read the data source from the `datasource` variable, whose default
#: is the `__inputs` answer on import (Grafana replaces ${DS_...}) and, provisioned from
#: the file, the default Prometheus (the literal matches no data source).
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def _thresholds(threshold: Threshold | None) -> dict[str, Any]:
    if threshold is None or threshold.of is not None:
        steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    elif threshold.bad_above:
        steps = [{"color": "green", "value": None}, {"color": "red", "value": plain(threshold.value)}]
    else:
        steps = [{"color": "red", "value": None}, {"color": "green", "value": plain(threshold.value)}]
    return {"mode": "absolute", "steps": steps}


def _targets(queries: list[tuple[str, str]], limits: Limits) -> list[dict[str, Any]]:
    step = duration(float(limits.scrape_interval_seconds))
    return [{"datasource": DATASOURCE, "editorMode": "code", "expr": expr, "interval": step,
             "legendFormat": legend, "range": True, "refId": chr(ord("A") + index)}
            for index, (legend, expr) in enumerate(queries)]


def _grid(x: int, y: int, w: int, h: int) -> dict[str, int]:
    return {"h": h, "w": w, "x": x, "y": y}


def _timeseries(panel: Panel, panel_id: int, x: int, y: int, limits: Limits) -> dict[str, Any]:
    queries = list(panel.queries)
    overrides: list[dict[str, Any]] = []
    threshold = panel.threshold
    if threshold is not None and threshold.of is not None:
        # A line that follows the total: drawn as one more query, dashed and red.
        ref = chr(ord("A") + len(queries))
        queries.append((f"{plain(threshold.value)}% threshold {{{{instance}}}}",
                        f"{threshold.of} * {plain(threshold.value)} / 100"))
        overrides.append({"matcher": {"id": "byFrameRefID", "options": ref}, "properties": [
            {"id": "color", "value": {"fixedColor": "red", "mode": "fixed"}},
            {"id": "custom.lineStyle", "value": {"dash": [10, 10], "fill": "dash"}},
            {"id": "custom.fillOpacity", "value": 0},
        ]})
    static_line = threshold is not None and threshold.of is None
    defaults: dict[str, Any] = {
        "color": {"mode": "palette-classic"},
        "custom": {
            "axisCenteredZero": False, "axisColorMode": "text", "axisLabel": "", "axisPlacement": "auto",
            "barAlignment": 0, "drawStyle": "line", "fillOpacity": 10, "gradientMode": "none",
            "hideFrom": {"legend": False, "tooltip": False, "viz": False}, "lineInterpolation": "linear",
            "lineWidth": 1, "pointSize": 4, "scaleDistribution": {"type": "linear"}, "showPoints": "auto",
            "spanNulls": False, "stacking": {"group": "A", "mode": "none"},
            "thresholdsStyle": {"mode": "line" if static_line else "off"},
        },
        "mappings": [],
        "thresholds": _thresholds(threshold),
        "unit": panel.unit,
    }
    if panel.min is not None:
        defaults["min"] = plain(panel.min)
    if panel.max is not None:
        defaults["max"] = plain(panel.max)
    return {
        "datasource": DATASOURCE,
        "description": panel.description,
        "fieldConfig": {"defaults": defaults, "overrides": overrides},
        "gridPos": _grid(x, y, GRID_WIDTH // 2, GRAPH_HEIGHT),
        "id": panel_id,
        # The panel's min interval and each target's min step are the scrape interval:
        # finer steps show nothing new.
        "interval": duration(float(limits.scrape_interval_seconds)),
        "options": {
            "legend": {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
        "targets": _targets(queries, limits),
        "title": panel.title,
        "type": "timeseries",
    }


def _mappings(pairs: tuple[tuple[int, str, str], ...]) -> list[dict[str, Any]]:
    if not pairs:
        return []
    return [{"type": "value", "options": {str(value): {"text": text, "color": color, "index": index}
                                          for index, (value, text, color) in enumerate(pairs)}}]


def _stat(stat: Stat, panel_id: int, x: int, limits: Limits) -> dict[str, Any]:
    defaults: dict[str, Any] = {"color": {"mode": "thresholds"}, "mappings": _mappings(stat.mappings),
                                "thresholds": _thresholds(stat.threshold), "unit": stat.unit}
    if stat.decimals is not None:
        defaults["decimals"] = stat.decimals
    return {
        "datasource": DATASOURCE,
        "description": stat.description,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "gridPos": _grid(x, 0, GRID_WIDTH // 6, STAT_HEIGHT),
        "id": panel_id,
        "options": {"colorMode": "background", "graphMode": "none", "justifyMode": "auto", "orientation": "auto",
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "textMode": "value_and_name"},
        "targets": _targets([(stat.legend, stat.expr)], limits),
        "title": stat.title,
        "type": "stat",
    }


def _alert_state(panel_id: int, limits: Limits) -> dict[str, Any]:
    return {
        "datasource": DATASOURCE,
        "description": "Each alert of each loop over time: firing (finmon's alert_active or Prometheus' ALERTS, "
                       "loop_down and loop_absent included) or ok.",
        "fieldConfig": {"defaults": {
            "color": {"mode": "thresholds"}, "custom": {"fillOpacity": 70, "lineWidth": 0},
            "mappings": _mappings(((0, "ok", "green"), (1, "firing", "red"))),
            "thresholds": _thresholds(Threshold(1)),
        }, "overrides": []},
        "gridPos": _grid(0, STAT_HEIGHT, GRID_WIDTH, ALERT_STATE_HEIGHT),
        "id": panel_id,
        "options": {"alignValue": "left", "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
                    "mergeValues": True, "rowHeight": 0.9, "showValue": "never", "tooltip": {"mode": "single"}},
        "targets": _targets([("{{instance}} {{alertname}}", alert_state())], limits),
        "title": "Alert state",
        "type": "state-timeline",
    }


def _header(title: str, description: str, panel_id: int, x: int, y: int) -> dict[str, Any]:
    return {"gridPos": _grid(x, y, GRID_WIDTH // 2, HEADER_HEIGHT), "id": panel_id,
            "options": {"content": description, "mode": "markdown"}, "title": title, "transparent": True,
            "type": "text"}


def _templating(input_name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{
        "current": {"selected": False, "text": f"${{{input_name}}}", "value": f"${{{input_name}}}"},
        "hide": 0, "includeAll": False, "label": "Data source", "multi": False, "name": "datasource",
        "options": [], "query": "prometheus", "refresh": 1, "regex": "", "skipUrlSync": False, "type": "datasource",
    }]
    for index, variable in enumerate(VARIABLES):
        query = variable_query(index)
        found.append({
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            # "All" is .*, not the alternation of the values found: it also matches a series
            # without the label (a loop scraped statically has no run_id).
            "allValue": ".*",
            "datasource": DATASOURCE, "definition": query, "hide": 0, "includeAll": True, "label": variable.label,
            "multi": True, "name": variable.name, "options": [], "query": query,
            # 2: on time range change, so a loop that stopped an hour ago is still listed.
            "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1, "type": "query",
        })
    return found


def render(limits: Limits, *, title: str, uid: str, datasource_input: str | None = None) -> dict[str, Any]:
    """The dashboard as a JSON-ready dict, in Grafana's import format."""
    input_name = datasource_input or str(getattr(limits, "datasource", "DS_PROMETHEUS"))
    url = str(getattr(limits, "datasource_url", ""))
    refresh = str(getattr(limits, "refresh_interval", "5s"))
    panels: list[dict[str, Any]] = []
    next_id = 1
    for index, stat in enumerate(stats(limits)):
        panels.append(_stat(stat, next_id, index * (GRID_WIDTH // 6), limits))
        next_id += 1
    panels.append(_alert_state(next_id, limits))
    next_id += 1
    for index, quadrant in enumerate(layout(limits)):
        x = (index % 2) * (GRID_WIDTH // 2)
        y = QUADRANT_TOP + (index // 2) * QUADRANT_HEIGHT
        panels.append(_header(quadrant.title, quadrant.description, next_id, x, y))
        next_id += 1
        for row, panel in enumerate(quadrant.panels):
            panels.append(_timeseries(panel, next_id, x, y + HEADER_HEIGHT + row * GRAPH_HEIGHT, limits))
            next_id += 1
    board = {
        "__inputs": [{
            "name": input_name, "label": "Prometheus",
            "description": f"The Prometheus that scrapes finmon's exporter ({url})",
            "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus",
        }],
        "__elements": {},
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "9.0.0"},
            {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
            {"type": "panel", "id": "stat", "name": "Stat", "version": ""},
            {"type": "panel", "id": "state-timeline", "name": "State timeline", "version": ""},
            {"type": "panel", "id": "text", "name": "Text", "version": ""},
            {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
        ],
        "annotations": {"list": [
            {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
             "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
             "target": {"limit": 100, "matchAny": False, "tags": [], "type": "dashboard"}, "type": "dashboard"},
            {"datasource": DATASOURCE, "enable": True, "expr": champion_annotation(limits), "hide": False,
             "iconColor": "green", "name": "Champion updates",
             "step": duration(float(limits.scrape_interval_seconds)), "tagKeys": "instance",
             "textFormat": "champion_updates_total increased", "titleFormat": "New champion {{instance}}",
             "useValueForTime": False},
        ]},
        "description": "Resources, strategy performance, population diversity and sandbox containers "
                       "of autonomous strategy-evolution loops, as exported by finmon.",
        "editable": True, "fiscalYearStartMonth": 0, "graphTooltip": 1, "id": None,
        "links": [{"title": "Prometheus", "type": "link", "url": url, "icon": "external link", "targetBlank": True,
                   "tooltip": "The Prometheus this dashboard reads", "asDropdown": False, "includeVars": False,
                   "keepTime": False, "tags": []}],
        "liveNow": False,
        "panels": panels,
        "refresh": refresh,
        "schemaVersion": 36,
        "style": "dark",
        "tags": ["finmon"],
        "templating": {"list": _templating(input_name)},
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {"refresh_intervals": list(dict.fromkeys([refresh, "5s", "10s", "30s", "1m", "5m"]))},
        "timezone": "",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }
    return board
