"""finmon.dashboard's generator: thresholds follow the config and bad ones are refused
naming the field, rendering is deterministic, expressions are listed once each, and
the CLI writes the dashboard and the panel table (test_dashboard checks the board)."""

from __future__ import annotations

import doctest
import json
import math
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest

from finmon import dashboard
from finmon.dashboard import DashboardThresholds, expressions, markdown_table, render, render_json

from .test_dashboard import CONFIG, DASHBOARD, SELECTOR, panel, threshold_line, timeseries


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
    assert lines["CPU (%)"] == [95]
    assert lines["Population diversity"] == [0.25]
    assert lines["Champion age (iterations)"] == [30]
    assert lines["Success rate (%, rolling)"] == [35]
    assert lines["Orphaned containers"] == [5]
    memory = [t["expr"] for t in panel(generated, "Memory (GB)")["targets"]]
    assert memory[-1] == f"system_memory_total_bytes{SELECTOR} / 1e9 * 70 / 100"
    # The scrape interval sets the panels' minimum interval and the annotation's step;
    # grafana.refresh_interval the auto-refresh; grafana.datasource_url the link and input.
    assert generated["refresh"] == "10s" and generated["timepicker"]["refresh_intervals"][0] == "10s"
    assert generated["links"][0]["url"] == "http://prometheus.example:9090"
    assert "http://prometheus.example:9090" in generated["__inputs"][0]["description"]
    assert {p["interval"] for p in timeseries(generated)} == {"2500ms"}
    assert {t["interval"] for p in timeseries(generated) for t in p["targets"]} == {"2500ms"}
    champion = generated["annotations"]["list"][1]
    assert (champion["expr"], champion["step"]) == (f"changes(champion_updates_total{SELECTOR}[5s]) > 0", "2500ms")
    # The data source input is renamed: the variable's default follows it.
    assert generated["__inputs"][0]["name"] == "DS_FINMON"
    text = json.dumps(generated)
    assert "${DS_PROMETHEUS}" not in text and text.count("${DS_FINMON}") == 2


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
    assert '"value": 0.05\n' in first and "* 85 / 100" in first  # 85, not 85.0


def test_expressions_lists_panels_then_variables_then_the_annotation_once_each() -> None:
    found = expressions(render(DashboardThresholds()))
    assert len(found) == len(set(found))
    assert found[0] == f"up{SELECTOR}"
    assert found[-4:] == ["label_values(loop_iteration, job)", 'label_values(loop_iteration{job=~"$job"}, instance)',
                          'label_values(loop_iteration{job=~"$job",instance=~"$instance"}, run_id)',
                          f"changes(champion_updates_total{SELECTOR}[10s]) > 0"]


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
