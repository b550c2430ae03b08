"""The Grafana dashboard (config/grafana_dashboard.json) and its generator finmon.dashboard:
the committed file is what the generator makes from the committed config; it draws the
original design's four panels as 2x2 quadrants with their three graphs each and the
config's threshold lines, under a row of current values and an alert-state panel; every
query selects with the job and instance variables and keeps loops apart; the data
source is a variable that works imported and provisioned; bad thresholds are refused.
(test_dashboard_queries runs every query against a real Prometheus scraping two loops.)"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest
import yaml

import finmon
from finmon import _panels, dashboard
from finmon.dashboard import DashboardThresholds, expressions, markdown_table, render, render_json

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG = REPO_ROOT / "config" / "monitoring_config.yaml"
DASHBOARD = REPO_ROOT / "config" / "grafana_dashboard.json"
DOCS = REPO_ROOT / "docs" / "dashboard.md"

#: The design's four panels, in its order: (place, title, graphs).
QUADRANTS = [
    ("top left", "Resource Usage", ["Memory (GB)", "CPU (%)", "Execution time per iteration (s)"]),
    ("top right", "Strategy Performance", ["Success rate (%, rolling)", "Sharpe ratio", "Max drawdown"]),
    ("bottom left", "Diversity", ["Population diversity", "Unique vs total strategies", "Champion age (iterations)"]),
    ("bottom right", "Container Stats", ["Active containers", "Container memory (GB)", "Orphaned containers"]),
]
STATS = ["Loop up", "Iteration", "Champion Sharpe", "Diversity", "Success rate", "Active alerts"]
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SELECTOR = '{job=~"$job",instance=~"$instance",run_id=~"$run_id"}'
#: PromQL words that are not metric names.
PROMQL_WORDS = {"rate", "histogram_quantile", "sum", "max", "count", "by", "le", "or", "and", "changes",
                "label_replace", "label_values", "alertname", "alert_type", "job", "instance", "run_id", "alertstate"}


def committed_thresholds() -> DashboardThresholds:
    """What the generator is given for the committed config."""
    return DashboardThresholds.from_config(finmon.MonitoringConfig.from_yaml(str(CONFIG)))


@pytest.fixture(scope="module")
def board() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def timeseries(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] == "timeseries"]


def panel(board: dict[str, Any], title: str, kind: str | None = None) -> dict[str, Any]:
    (found,) = [p for p in board["panels"] if p["title"] == title and (kind is None or p["type"] == kind)]
    return dict(found)


def threshold_line(p: dict[str, Any]) -> list[float]:
    """The values of a panel's threshold steps, if it draws them as lines."""
    defaults = p["fieldConfig"]["defaults"]
    if defaults["custom"]["thresholdsStyle"]["mode"] != "line":
        return []
    return [step["value"] for step in defaults["thresholds"]["steps"] if step["value"] is not None]


def metric_selectors(expr: str) -> list[tuple[str, str]]:
    """(metric name, its label matchers) for every metric an expression selects: an
    identifier not followed by "(" and outside label braces and strings."""
    # Strings blanked (same length, so offsets hold), so their contents are not names.
    text = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: '"' + " " * (len(m.group(0)) - 2) + '"', expr)
    found = []
    for match in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\{[^}]*\})?(?!\s*\()", text):
        name, braces = match.group(1), expr[match.start(2):match.end(2)] if match.group(2) else ""
        if name in PROMQL_WORDS or re.fullmatch(r"\d.*|e\d+", name) or text[:match.start()].endswith("$"):
            continue  # a PromQL word, a number, a Grafana variable
        before = text[:match.start()]
        if before.count("{") > before.count("}") or before.rstrip().endswith(("by (", "by(")):
            continue  # a label name inside braces or a by clause
        if re.search(r"by \([^)]*$", before):
            continue
        found.append((name, braces))
    return found


# ---- the committed file ----------------------------------------------------------------


def test_committed_dashboard_is_the_generator_output_for_the_committed_config() -> None:
    assert DASHBOARD.read_text() == render_json(committed_thresholds()), (
        "config/grafana_dashboard.json is stale: regenerate it with "
        "`python -m finmon dashboard config/monitoring_config.yaml > config/grafana_dashboard.json`")


def test_defaults_are_the_committed_config() -> None:
    # PyYAML only here: the library reads the config through finmon's own loader.
    cfg = yaml.safe_load(CONFIG.read_text())
    alerts = cfg["monitoring"]["alerts"]
    assert DashboardThresholds() == DashboardThresholds(
        memory_percent=alerts["memory_threshold_percent"],
        cpu_percent=alerts["cpu_threshold_percent"],
        diversity=alerts["diversity_collapse"]["threshold"],
        staleness_iterations=alerts["champion_staleness"]["threshold_iterations"],
        success_rate_percent=alerts["success_rate"]["threshold_percent"],
        orphaned_containers=alerts["orphaned_containers"]["threshold"],
        scrape_interval_seconds=cfg["monitoring"]["prometheus"]["scrape_interval"],
        datasource=cfg["grafana"]["datasource_name"],
        refresh_interval=cfg["grafana"]["refresh_interval"],
        datasource_url=cfg["grafana"]["datasource_url"],
    )
    assert cfg["grafana"]["dashboard_path"] == "config/grafana_dashboard.json"


def test_docs_hold_the_generated_panel_table() -> None:
    assert markdown_table(committed_thresholds()) in DOCS.read_text(), (
        "docs/dashboard.md is stale: paste `python -m finmon dashboard --markdown` into it")


def test_import_format_for_grafana_9(board: dict[str, Any]) -> None:
    assert board["schemaVersion"] == 36
    assert board["title"] == "finmon - strategy evolution loop"
    assert board["uid"] == "finmon-loop" and board["id"] is None
    assert board["refresh"] == "5s"
    assert board["time"] == {"from": "now-1h", "to": "now"}
    assert [link["url"] for link in board["links"]] == ["http://localhost:9090"]
    assert board["__inputs"] == [{
        "name": "DS_PROMETHEUS", "label": "Prometheus",
        "description": "The Prometheus that scrapes finmon's exporter (http://localhost:9090)",
        "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus",
    }]
    required = {(r["type"], r["id"]) for r in board["__requires"]}
    assert required == {("grafana", "grafana"), ("datasource", "prometheus"), ("panel", "timeseries"),
                        ("panel", "stat"), ("panel", "state-timeline"), ("panel", "text")}
    # Every panel type used is required, so an import on a Grafana without it says so.
    assert {p["type"] for p in board["panels"]} == {i for t, i in required if t == "panel"}


def test_the_data_source_is_a_variable_that_works_imported_and_provisioned(board: dict[str, Any]) -> None:
    (variable,) = [v for v in board["templating"]["list"] if v["name"] == "datasource"]
    assert variable["type"] == "datasource" and variable["query"] == "prometheus"
    # Imported: Grafana replaces ${DS_PROMETHEUS} with the data source the user picks for
    # __inputs, which becomes the variable's default. Provisioned, nothing replaces it, it
    # matches no data source, and the variable falls back to the default Prometheus; so
    # nothing else may name the input, or it would stay a dangling uid.
    assert variable["current"]["value"] == "${DS_PROMETHEUS}"
    assert json.dumps(board).count("${DS_PROMETHEUS}") == 2  # the variable's text and value
    queried = [p for p in board["panels"] if p["type"] != "text"]
    assert len(queried) == 6 + 1 + 12
    for p in queried:
        assert p["datasource"] == DATASOURCE, p["title"]
        for target in p["targets"]:
            assert target["datasource"] == DATASOURCE, p["title"]
            assert re.fullmatch(r"[A-Z]", target["refId"]), target
        ref_ids = [t["refId"] for t in p["targets"]]
        assert ref_ids and len(ref_ids) == len(set(ref_ids)), p["title"]
    for entry in board["annotations"]["list"]:
        if "expr" in entry:
            assert entry["datasource"] == DATASOURCE
    for variable in board["templating"]["list"][1:]:
        assert variable["datasource"] == DATASOURCE


# ---- geometry --------------------------------------------------------------------------


def test_ids_are_unique_and_the_grid_fits_24_columns_without_overlap(board: dict[str, Any]) -> None:
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids)
    cells: set[tuple[int, int]] = set()
    for p in board["panels"]:
        pos = p["gridPos"]
        assert pos["x"] >= 0 and pos["w"] > 0 and pos["x"] + pos["w"] <= 24, p["title"]
        assert pos["h"] > 0 and pos["y"] >= 0
        mine = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & mine, f"{p['title']} overlaps another panel"
        cells |= mine
    # No hole: the panels tile the full width from the top to the last row.
    bottom = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in board["panels"])
    assert cells == {(x, y) for x in range(24) for y in range(bottom)}


def test_a_row_of_current_values_then_the_alert_state_across_the_top(board: dict[str, Any]) -> None:
    stats = [p for p in board["panels"] if p["type"] == "stat"]
    assert [p["title"] for p in sorted(stats, key=lambda p: p["gridPos"]["x"])] == STATS
    assert {(p["gridPos"]["y"], p["gridPos"]["h"], p["gridPos"]["w"]) for p in stats} == {(0, 4, 4)}
    state = panel(board, "Alert state")
    assert state["type"] == "state-timeline"
    assert state["gridPos"] == {"h": 6, "w": 24, "x": 0, "y": 4}
    mappings = state["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert (mappings["0"]["text"], mappings["1"]["text"]) == ("ok", "firing")
    up = panel(board, "Loop up")["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert (up["1"]["text"], up["0"]["text"], up["0"]["color"]) == ("UP", "DOWN", "red")


def test_the_design_s_four_panels_are_2x2_quadrants_of_three_graphs(board: dict[str, Any]) -> None:
    headers = [p for p in board["panels"] if p["type"] == "text"]
    assert [h["title"] for h in headers] == [title for _, title, _ in QUADRANTS]
    corners = {(h["gridPos"]["x"], h["gridPos"]["y"]) for h in headers}
    (left, right), (top, bottom) = sorted({x for x, _ in corners}), sorted({y for _, y in corners})
    assert (left, right) == (0, 12) and top == 10 and bottom > top
    places = {"top left": (left, top), "top right": (right, top), "bottom left": (left, bottom),
              "bottom right": (right, bottom)}
    graphs = timeseries(board)
    for place, title, expected in QUADRANTS:
        header = panel(board, title, "text")
        x, y = places[place]
        assert (header["gridPos"]["x"], header["gridPos"]["y"], header["gridPos"]["w"]) == (x, y, 12), title
        below = y + header["gridPos"]["h"]
        ceiling = bottom if y == top else math.inf
        inside = [g for g in graphs
                  if g["gridPos"]["x"] == x and below <= g["gridPos"]["y"] and g["gridPos"]["y"] < ceiling]
        inside.sort(key=lambda g: g["gridPos"]["y"])
        assert [g["title"] for g in inside] == expected, title
        assert all(g["gridPos"]["w"] == 12 for g in inside)
        # Stacked without gaps, from the header down.
        tops = [g["gridPos"]["y"] for g in inside]
        assert tops[0] == below and all(b - a == inside[0]["gridPos"]["h"] for a, b in zip(tops, tops[1:]))
    # Both halves of a row of quadrants end together.
    assert len(graphs) == 12


# ---- thresholds ------------------------------------------------------------------------


def test_threshold_lines_are_the_alert_thresholds(board: dict[str, Any]) -> None:
    lines = {p["title"]: threshold_line(p) for p in timeseries(board)}
    assert lines["CPU (%)"] == [90]
    assert lines["Success rate (%, rolling)"] == [20]
    assert lines["Population diversity"] == [0.1]
    assert lines["Champion age (iterations)"] == [20]
    assert lines["Orphaned containers"] == [3]
    without = {title for title, values in lines.items() if not values}
    assert without == {"Memory (GB)", "Execution time per iteration (s)", "Sharpe ratio", "Max drawdown",
                       "Unique vs total strategies", "Active containers", "Container memory (GB)"}
    # Below-is-bad thresholds are red under the line, the others above it.
    colors = panel(board, "Population diversity")["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["color"] for s in colors] == ["red", "green"]
    colors = panel(board, "CPU (%)")["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["color"] for s in colors] == ["green", "red"]


def test_the_memory_threshold_is_80_percent_of_the_total_drawn_as_a_dashed_red_series(board: dict[str, Any]) -> None:
    memory = panel(board, "Memory (GB)")
    (line,) = [t for t in memory["targets"] if "threshold" in t["legendFormat"]]
    assert line["expr"] == f"system_memory_total_bytes{SELECTOR} / 1e9 * 80 / 100"
    assert line["legendFormat"] == "80% threshold {{instance}}"
    (override,) = memory["fieldConfig"]["overrides"]
    assert override["matcher"] == {"id": "byFrameRefID", "options": line["refId"]}
    properties = {p["id"]: p["value"] for p in override["properties"]}
    assert properties["color"] == {"fixedColor": "red", "mode": "fixed"}
    assert properties["custom.lineStyle"]["fill"] == "dash"


def test_the_current_values_color_diversity_and_success_rate_at_their_thresholds(board: dict[str, Any]) -> None:
    def steps(title: str) -> list[tuple[str, Any]]:
        found = panel(board, title, "stat")["fieldConfig"]["defaults"]["thresholds"]["steps"]
        return [(s["color"], s["value"]) for s in found]

    assert steps("Diversity") == [("red", None), ("green", 0.1)]
    assert steps("Success rate") == [("red", None), ("green", 20)]
    assert steps("Active alerts") == [("green", None), ("red", 1)]


# ---- queries and variables ------------------------------------------------------------


def test_job_instance_and_run_variables_narrow_each_other(board: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert list(variables) == ["datasource", "job", "instance", "run_id"]
    assert variables["job"]["query"] == "label_values(loop_iteration, job)"
    assert variables["instance"]["query"] == 'label_values(loop_iteration{job=~"$job"}, instance)'
    assert variables["run_id"]["query"] == 'label_values(loop_iteration{job=~"$job",instance=~"$instance"}, run_id)'
    for name in ("job", "instance", "run_id"):
        variable = variables[name]
        assert variable["type"] == "query" and variable["definition"] == variable["query"]
        assert variable["multi"] is True and variable["includeAll"] is True
        assert variable["current"]["value"] == ["$__all"]
        # "All" matches a series without the label too: a statically scraped loop has no run_id.
        assert variable["allValue"] == ".*"
        assert variable["refresh"] == 2  # on time range change: a loop that stopped is still listed


def test_every_query_selects_with_every_variable_and_keeps_loops_apart(board: dict[str, Any]) -> None:
    queries = [e for e in expressions(board) if not e.startswith("label_values(")]
    assert len(queries) == len(set(queries)) >= 20
    for expr in queries:
        selectors = metric_selectors(expr)
        assert selectors, expr
        for name, braces in selectors:
            assert 'job=~"$job"' in braces and 'instance=~"$instance"' in braces, (name, expr)
            assert 'run_id=~"$run_id"' in braces, (name, expr)
        for aggregation in re.findall(r"\b(?:sum|max|count)\b\s*(by \([^)]*\))?", expr):
            assert aggregation.startswith("by (job, instance, run_id"), expr


def test_adding_a_variable_reaches_every_query(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_panels, "VARIABLES", (*_panels.VARIABLES, _panels.Variable("host", "Host")))
    import finmon._grafana as grafana
    monkeypatch.setattr(grafana, "VARIABLES", _panels.VARIABLES)
    generated = render(DashboardThresholds())
    variables = {v["name"]: v for v in generated["templating"]["list"]}
    assert variables["host"]["query"] == \
        'label_values(loop_iteration{job=~"$job",instance=~"$instance",run_id=~"$run_id"}, host)'
    for expr in expressions(generated):
        if expr.startswith("label_values("):
            continue
        for name, braces in metric_selectors(expr):
            assert 'host=~"$host"' in braces, (name, expr)
        for aggregation in re.findall(r"by \([^)]*\)", expr):
            assert "host" in aggregation, expr


def test_queries_plot_what_the_panels_say(board: dict[str, Any]) -> None:
    def exprs(title: str) -> list[str]:
        return [t["expr"] for t in panel(board, title, "timeseries")["targets"]]

    assert exprs("Memory (GB)")[:3] == [f"system_memory_usage_bytes{SELECTOR} / 1e9",
                                        f"system_memory_total_bytes{SELECTOR} / 1e9",
                                        f"process_resident_memory_bytes{SELECTOR} / 1e9"]
    assert panel(board, "Memory (GB)")["fieldConfig"]["defaults"]["unit"] == "decgbytes"
    assert exprs("CPU (%)") == [f"system_cpu_usage_percent{SELECTOR}"]
    mean, p95 = exprs("Execution time per iteration (s)")
    assert mean == (f"rate(execution_time_seconds_sum{SELECTOR}[$__rate_interval]) / "
                    f"rate(execution_time_seconds_count{SELECTOR}[$__rate_interval])")
    assert p95.startswith("histogram_quantile(0.95, sum by (job, instance, run_id, le) ")
    assert exprs("Success rate (%, rolling)") == [f"100 * strategy_success_rate{SELECTOR}"]
    assert exprs("Unique vs total strategies") == [f"unique_strategy_count{SELECTOR}", f"population_size{SELECTOR}"]
    assert exprs("Champion age (iterations)") == [f"champion_staleness_iterations{SELECTOR}"]
    assert exprs("Container memory (GB)") == [
        f"sum by (job, instance, run_id) (container_memory_usage_bytes{SELECTOR}) / 1e9 or active_containers{SELECTOR} * 0"]
    assert panel(board, "Container memory (GB)")["fieldConfig"]["defaults"]["unit"] == "decgbytes"
    # $__rate_interval is at least 4 x the targets' min step, the scrape interval.
    assert {p["interval"] for p in timeseries(board)} == {"5s"}
    assert {t["interval"] for p in timeseries(board) for t in p["targets"]} == {"5s"}
    # Every legend names the loop, so two loops are told apart.
    assert all("{{instance}}" in t["legendFormat"] for p in board["panels"] for t in p.get("targets", []))


def test_the_alert_state_joins_finmon_s_and_prometheus_alerts(board: dict[str, Any]) -> None:
    (state,) = panel(board, "Alert state")["targets"]
    assert state["expr"] == (
        'max by (job, instance, run_id, alertname) (label_replace(alert_active{job=~"$job",instance=~"$instance",'
        'run_id=~"$run_id"}, "alertname", "$1", "alert_type", "(.+)") or '
        'ALERTS{job=~"$job",instance=~"$instance",run_id=~"$run_id",alertstate="firing"})')
    (active,) = panel(board, "Active alerts", "stat")["targets"]
    assert active["expr"].startswith(f"count by (job, instance, run_id) ({state['expr']} == 1) or (up{SELECTOR} * 0)")


def test_champion_updates_are_annotated(board: dict[str, Any]) -> None:
    annotations = board["annotations"]["list"]
    (champion,) = [a for a in annotations if a.get("name") == "Champion updates"]
    assert champion["datasource"] == DATASOURCE
    assert champion["enable"] is True
    assert champion["expr"] == f"changes(champion_updates_total{SELECTOR}[10s]) > 0"
    assert champion["step"] == "5s" and champion["titleFormat"] == "New champion {{instance}}"
    # Grafana's own "Annotations & Alerts" entry stays, as in an exported dashboard.
    assert any(a.get("builtIn") == 1 for a in annotations)


def test_every_queried_metric_is_exported_by_finmon(board: dict[str, Any]) -> None:
    exported = set(finmon.CATALOG.values())
    exported |= {f"execution_time_seconds_{suffix}" for suffix in ("sum", "count", "bucket")}
    exported |= {"up", "ALERTS"}  # Prometheus' own, about the target and the rules
    used = {name for expr in expressions(board) for name, _ in metric_selectors(re.sub(r"\$\w+", "", expr))}
    unknown = {name for name in used - exported if not name.startswith("process_")}
    assert not unknown, f"not in finmon's catalog: {sorted(unknown)}"
    assert used >= {"population_diversity", "champion_updates_total", "orphaned_containers", "alert_active",
                    "process_resident_memory_bytes", "up", "ALERTS", "loop_iteration"}
