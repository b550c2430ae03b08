"""The live page's panels are the dashboard's: the copy the library embeds is what
finmon.livepage generates from finmon._panels now, every query has a translation, and
every threshold is a config key the library serves with the value Grafana draws. And
``python -m finmon report`` rebuilds report.html from metrics_final.json."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import finmon
from finmon import _panels, livepage
from finmon.dashboard import DashboardThresholds
from finmon.errors import FinmonError

REPO_ROOT = Path(__file__).resolve().parents[3]
EMBEDDED = REPO_ROOT / "Sources" / "CFinMonPage" / "assets" / "panels.json"


def test_the_embedded_panels_are_generated_from_the_dashboard_definition() -> None:
    assert EMBEDDED.read_text() == livepage.spec_json(), (
        "regenerate: python -m finmon.livepage > Sources/CFinMonPage/assets/panels.json")


def test_titles_units_bounds_and_thresholds_match_the_grafana_panels() -> None:
    limits = DashboardThresholds()
    defaults = finmon.MonitoringConfig.defaults()

    def resolve(value: object) -> float:
        if isinstance(value, dict):
            node: object = defaults
            for part in value["key"].split("."):
                node = getattr(node, part)
            return float(node)  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]

    page = livepage.spec()
    for quadrant, grafana in zip(page["quadrants"], _panels.layout(limits), strict=True):
        assert quadrant["title"] == grafana.title
        for panel, source in zip(quadrant["panels"], grafana.panels, strict=True):
            assert (panel["title"], panel["unit"], panel["min"], panel["max"]) == (
                source.title, source.unit, source.min, source.max)
            assert [line["legend"] for line in panel["lines"]] == [
                legend.replace(" {{instance}}", "") for legend, _ in source.queries]
            if source.threshold is None:
                assert panel["threshold"] is None
            else:
                assert resolve(panel["threshold"]["value"]) == source.threshold.value
                assert panel["threshold"]["bad_above"] == source.threshold.bad_above
                assert (panel["threshold"]["of"] is None) == (source.threshold.of is None)
    assert [s["title"] for s in page["stats"]] == [s.title for s in _panels.stats(limits)]
    # The design's threshold lines: memory at 80%, CPU at 90%, diversity at 0.1, orphaned at 3.
    lines = {p["title"]: resolve(p["threshold"]["value"]) for q in page["quadrants"] for p in q["panels"]
             if p["threshold"]}
    assert lines["Memory (GB)"] == 80 and lines["CPU (%)"] == 90
    assert lines["Population diversity"] == 0.1 and lines["Orphaned containers"] == 3


def test_a_query_the_page_cannot_compute_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot draw the query"):
        livepage.translate('avg_over_time(population_diversity{job=~"$job",instance=~"$instance"}[5m])')
    s = _panels.selector()
    assert livepage.translate(f"100 * strategy_success_rate{s}") == {
        "op": "series", "name": "strategy_success_rate", "scale": 100}
    assert livepage.translate(f"up{s}") == {"op": "const", "value": 1}


def test_every_threshold_key_is_served_by_the_running_library(tmp_path: Path) -> None:
    keys = {p["threshold"]["value"]["key"] for q in livepage.spec()["quadrants"] for p in q["panels"]
            if p["threshold"] and isinstance(p["threshold"]["value"], dict)}
    assert len(keys) == 6
    config = tmp_path / "monitoring_config.yaml"
    config.write_text(f"""
monitoring:
  prometheus: {{port: 0}}
  resource_monitor: {{enabled: false}}
  container_monitor: {{enabled: false}}
  alerts: {{enabled: false, memory_threshold_percent: 70}}
  export: {{directory: "{tmp_path}"}}
grafana: {{refresh_interval: 100ms}}
""")
    runtime = finmon.start(config)
    try:
        port = runtime.port
        assert port
        import urllib.request
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/history", timeout=10) as response:
                doc = json.load(response)
            if doc["times"]:
                break
            assert time.monotonic() < deadline, "no history sample within 10 s"
            time.sleep(0.05)
        assert keys <= set(doc["thresholds"])
        assert doc["thresholds"]["monitoring.alerts.memory_threshold_percent"] == 70
        assert doc["interval_seconds"] == 0.1
    finally:
        runtime.stop()


def test_the_report_command_rebuilds_report_html_from_the_final_record(tmp_path: Path) -> None:
    config = tmp_path / "monitoring_config.yaml"
    config.write_text(f"""
monitoring:
  prometheus: {{enabled: false}}
  resource_monitor: {{enabled: false}}
  container_monitor: {{enabled: false}}
  alerts: {{enabled: false}}
  export: {{directory: "{tmp_path / 'out'}"}}
grafana: {{refresh_interval: 100ms}}
""")
    (tmp_path / "out").mkdir()
    runtime = finmon.start(config)
    with runtime.iteration(1) as it:
        it.result(sharpe=1.2)
    runtime.stop()
    written = (tmp_path / "out" / "report.html").read_text()
    final = json.loads((tmp_path / "out" / "metrics_final.json").read_text())
    assert final["history"]["times"], "the final record carries the history"
    rebuilt = tmp_path / "elsewhere.html"
    result = subprocess.run([sys.executable, "-m", "finmon", "report", str(tmp_path / "out" / "metrics_final.json"),
                             "-o", str(rebuilt)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(rebuilt)
    assert rebuilt.read_text() == written
    # Beside the JSON by default.
    (tmp_path / "out" / "report.html").unlink()
    assert livepage.write_report(tmp_path / "out" / "metrics_final.json") == str(tmp_path / "out" / "report.html")
    assert (tmp_path / "out" / "report.html").read_text() == written
    # Not a final record: an error with the reason, nothing written.
    with pytest.raises(FinmonError, match="not a finmon final record with a history"):
        livepage.write_report(config, tmp_path / "bad.html")
    assert not (tmp_path / "bad.html").exists()
    bad = subprocess.run([sys.executable, "-m", "finmon", "report", str(tmp_path / "missing.json")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "cannot read the final record" in bad.stderr
