"""The Grafana dashboard (config/grafana_dashboard.json) and its generator finmon.dashboard:
the committed file is what the generator makes from the committed config, it is in
Grafana's import format (schema 36, a Prometheus data source input, four rows of time
series, unique ids, a 24-column grid, every target with a data source and refId), the
threshold lines are the config's alert thresholds, every metric it queries is one finmon
exports, and bad thresholds are refused with a message naming the field."""

from __future__ import annotations

import doctest
import json
import math
import re
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest
import yaml

import finmon
from finmon import dashboard
from finmon.dashboard import DashboardThresholds, expressions, markdown_table, render, render_json

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG = REPO_ROOT / "config" / "monitoring_config.yaml"
DASHBOARD = REPO_ROOT / "config" / "grafana_dashboard.json"
DOCS = REPO_ROOT / "docs" / "dashboard.md"

ROWS = ["Resource Usage", "Strategy Performance", "Diversity", "Containers"]
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}


def committed_thresholds() -> DashboardThresholds:
    """What the generator is given for the committed config."""
    return DashboardThresholds.from_config(finmon.MonitoringConfig.from_yaml(str(CONFIG)))


@pytest.fixture(scope="module")
def board() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def timeseries(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] == "timeseries"]


def panel(board: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [p for p in board["panels"] if p["title"] == title]
    return dict(found)


def threshold_line(p: dict[str, Any]) -> list[float]:
    """The values of a panel's threshold steps, if it draws them as lines."""
    defaults = p["fieldConfig"]["defaults"]
    if defaults["custom"]["thresholdsStyle"]["mode"] != "line":
        return []
    return [step["value"] for step in defaults["thresholds"]["steps"] if step["value"] is not None]


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
        "docs/dashboard.md is stale: paste `python -m finmon.dashboard --markdown` into it")


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
    assert required == {("grafana", "grafana"), ("datasource", "prometheus"), ("panel", "timeseries")}
    # Every panel type used is required, so an import on a Grafana without it says so.
    assert {p["type"] for p in board["panels"]} - {"row"} <= {i for t, i in required if t == "panel"}


def test_four_rows_in_order_each_followed_by_its_panels(board: dict[str, Any]) -> None:
    rows = [p for p in board["panels"] if p["type"] == "row"]
    assert [r["title"] for r in rows] == ROWS
    assert all(r["collapsed"] is False and r["panels"] == [] for r in rows)
    titles: dict[str, list[str]] = {}
    current = None
    for p in board["panels"]:
        if p["type"] == "row":
            current = p["title"]
            titles[current] = []
        else:
            assert current is not None, "a panel before the first row"
            titles[current].append(p["title"])
    assert titles == {
        "Resource Usage": ["Memory (GB)", "Memory used (%)", "CPU (%)", "Execution time per iteration"],
        "Strategy Performance": ["Success rate (rolling)", "Sharpe ratio", "Max drawdown"],
        "Diversity": ["Population diversity", "Unique vs total strategies", "Champion age (iterations)"],
        "Containers": ["Active containers", "Container memory (total)", "Orphaned containers"],
    }


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


def test_every_target_has_the_input_data_source_and_a_unique_ref_id(board: dict[str, Any]) -> None:
    panels = timeseries(board)
    assert len(panels) == 13
    for p in panels:
        assert p["datasource"] == DATASOURCE, p["title"]
        assert p["targets"], p["title"]
        for target in p["targets"]:
            assert target["datasource"] == DATASOURCE, p["title"]
            assert re.fullmatch(r"[A-Z]", target["refId"]), target
            assert target["expr"].strip()
        ref_ids = [t["refId"] for t in p["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), p["title"]


def test_threshold_lines_are_the_alert_thresholds(board: dict[str, Any]) -> None:
    lines = {p["title"]: threshold_line(p) for p in timeseries(board)}
    assert lines["Memory used (%)"] == [80]
    assert lines["CPU (%)"] == [90]
    assert lines["Success rate (rolling)"] == [20]
    assert lines["Population diversity"] == [0.1]
    assert lines["Champion age (iterations)"] == [20]
    assert lines["Orphaned containers"] == [3]
    without = {title for title, values in lines.items() if not values}
    assert without == {"Memory (GB)", "Execution time per iteration", "Sharpe ratio", "Max drawdown",
                       "Unique vs total strategies", "Active containers", "Container memory (total)"}
    # Below-is-bad thresholds are red under the line, the others above it.
    colors = panel(board, "Population diversity")["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["color"] for s in colors] == ["red", "green"]
    colors = panel(board, "CPU (%)")["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["color"] for s in colors] == ["green", "red"]


def test_queries_plot_what_the_panels_say(board: dict[str, Any]) -> None:
    def exprs(title: str) -> list[str]:
        return [t["expr"] for t in panel(board, title)["targets"]]

    assert exprs("Memory (GB)")[0] == "system_memory_usage_bytes / 1e9"
    assert panel(board, "Memory (GB)")["fieldConfig"]["defaults"]["unit"] == "decgbytes"
    assert exprs("Memory used (%)") == ["100 * system_memory_usage_bytes / system_memory_total_bytes"]
    assert exprs("CPU (%)") == ["system_cpu_usage_percent"]
    mean, p95 = exprs("Execution time per iteration")
    assert mean == ("rate(execution_time_seconds_sum[$__rate_interval]) / "
                    "rate(execution_time_seconds_count[$__rate_interval])")
    assert p95.startswith("histogram_quantile(0.95, ")
    assert exprs("Unique vs total strategies") == ["unique_strategy_count", "population_size"]
    assert exprs("Champion age (iterations)") == ["champion_staleness_iterations"]
    assert exprs("Container memory (total)") == ["sum(container_memory_usage_bytes) or vector(0)"]
    # $__rate_interval is at least 4 x the targets' min step, the scrape interval.
    assert {p["interval"] for p in timeseries(board)} == {"5s"}
    assert {t["interval"] for p in timeseries(board) for t in p["targets"]} == {"5s"}


def test_champion_updates_are_annotated(board: dict[str, Any]) -> None:
    annotations = board["annotations"]["list"]
    (champion,) = [a for a in annotations if a.get("name") == "Champion updates"]
    assert champion["datasource"] == DATASOURCE
    assert champion["enable"] is True
    assert champion["expr"] == "changes(champion_updates_total[10s]) > 0"
    assert champion["step"] == "5s"
    # Grafana's own "Annotations & Alerts" entry stays, as in an exported dashboard.
    assert any(a.get("builtIn") == 1 for a in annotations)


def test_every_queried_metric_is_exported_by_finmon(board: dict[str, Any]) -> None:
    exported = set(finmon.CATALOG.values())
    histograms = {"execution_time_seconds"}
    exported |= {f"{h}_{suffix}" for h in histograms for suffix in ("sum", "count", "bucket")}
    promql_words = {"rate", "histogram_quantile", "sum", "by", "le", "or", "vector", "changes"}
    used: set[str] = set()
    for expr in expressions(board):
        without_variables = re.sub(r"\$\w+", "", expr)
        used |= set(re.findall(r"\b[a-zA-Z_][a-zA-Z0-9_]*\b", without_variables)) - promql_words
    unknown = {name for name in used - exported if not name.startswith("process_")}
    assert not unknown, f"not in finmon's catalog: {sorted(unknown)}"
    assert used >= {"population_diversity", "champion_updates_total", "orphaned_containers",
                    "process_resident_memory_bytes"}


# ---- the generator -----------------------------------------------------------------


def config_namespace(**alerts: Any) -> NS:
    values = dict(memory=70, cpu=95, diversity=0.25, staleness=30, success=35, orphans=5)
    values.update(alerts)
    alerts_ns = NS(memory_threshold_percent=values["memory"], cpu_threshold_percent=values["cpu"],
                   diversity_collapse=NS(threshold=values["diversity"]),
                   champion_staleness=NS(threshold_iterations=values["staleness"]),
                   success_rate=NS(threshold_percent=values["success"]),
                   orphaned_containers=NS(threshold=values["orphans"]))
    return NS(
        monitoring=NS(prometheus=NS(scrape_interval=2.5), alerts=alerts_ns, export=NS(retention_days=15)),
        grafana=NS(datasource_name="DS_FINMON", dashboard_path="config/grafana_dashboard.json",
                   refresh_interval="10s", datasource_url="http://prometheus.example:9090"),
    )


def test_thresholds_follow_the_config() -> None:
    generated = render(DashboardThresholds.from_config(config_namespace()))
    lines = {p["title"]: threshold_line(p) for p in timeseries(generated)}
    assert lines["Memory used (%)"] == [70]
    assert lines["CPU (%)"] == [95]
    assert lines["Population diversity"] == [0.25]
    assert lines["Champion age (iterations)"] == [30]
    assert lines["Success rate (rolling)"] == [35]
    assert lines["Orphaned containers"] == [5]
    # The scrape interval sets the panels' minimum interval and the annotation's step;
    # grafana.refresh_interval the auto-refresh; grafana.datasource_url the link and input.
    assert generated["refresh"] == "10s" and generated["timepicker"]["refresh_intervals"][0] == "10s"
    assert generated["links"][0]["url"] == "http://prometheus.example:9090"
    assert "http://prometheus.example:9090" in generated["__inputs"][0]["description"]
    assert {p["interval"] for p in timeseries(generated)} == {"2500ms"}
    assert {t["interval"] for p in timeseries(generated) for t in p["targets"]} == {"2500ms"}
    champion = generated["annotations"]["list"][1]
    assert (champion["expr"], champion["step"]) == ("changes(champion_updates_total[5s]) > 0", "2500ms")
    # The data source input is renamed everywhere.
    assert generated["__inputs"][0]["name"] == "DS_FINMON"
    text = json.dumps(generated)
    assert "${DS_PROMETHEUS}" not in text and text.count("${DS_FINMON}") == 13 + 18 + 1  # panels, targets, annotation


def test_from_config_names_a_missing_key() -> None:
    cfg = config_namespace()
    del cfg.monitoring.alerts.champion_staleness
    with pytest.raises(TypeError, match=r"monitoring\.alerts\.champion_staleness\.threshold_iterations"):
        DashboardThresholds.from_config(cfg)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("memory_percent", 0, r"memory_percent must be in \(0, 100\]"),
    ("cpu_percent", 100.5, r"cpu_percent must be in \(0, 100\]"),
    ("success_rate_percent", math.nan, "success_rate_percent must be finite"),
    ("diversity", 1.5, r"diversity must be in \[0, 1\]"),
    ("staleness_iterations", -1, "staleness_iterations must be >= 0"),
    ("orphaned_containers", True, "orphaned_containers must be a number, got bool"),
    ("scrape_interval_seconds", 0, "scrape_interval_seconds must be > 0"),
    ("scrape_interval_seconds", "5s", "scrape_interval_seconds must be a number, got str"),
    ("datasource", "DS PROMETHEUS", "datasource must be an identifier"),
    ("datasource", "", "datasource must be an identifier"),
])
def test_bad_thresholds_are_refused_naming_the_field(field: str, value: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        DashboardThresholds(**{field: value})


def test_rendering_is_deterministic_and_plain() -> None:
    first = render_json(DashboardThresholds(memory_percent=85.0, diversity=0.05))
    assert first == render_json(DashboardThresholds(memory_percent=85, diversity=0.05))
    assert first.endswith("}\n") and not first.endswith("\n\n")
    assert '"value": 85\n' in first and '"value": 0.05\n' in first  # 85, not 85.0


def test_expressions_lists_panels_then_the_annotation_once_each() -> None:
    found = expressions(render(DashboardThresholds()))
    assert len(found) == len(set(found)) == 18 + 1
    assert found[-1] == "changes(champion_updates_total[10s]) > 0"


def test_main_writes_the_dashboard_and_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "board.json"
    assert dashboard.main(["-o", str(out)]) == 0
    assert out.read_text() == render_json(DashboardThresholds())
    assert dashboard.main([]) == 0
    assert capsys.readouterr().out == render_json(DashboardThresholds())
    assert dashboard.main(["--markdown"]) == 0
    assert capsys.readouterr().out == markdown_table(DashboardThresholds())


def test_main_with_the_committed_config_prints_the_committed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert dashboard.main([str(CONFIG)]) == 0
    assert capsys.readouterr().out == DASHBOARD.read_text()


def test_module_examples() -> None:
    result = doctest.testmod(dashboard, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 5 and result.failed == 0
