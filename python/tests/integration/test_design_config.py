"""The original design's config example, verbatim, through finmon.start(): each of its
settings checked for its effect (the exposition at metrics_path, the intervals,
thresholds and export paths in use, the generated prometheus.yml and dashboard), then the
same with every value changed, so an effect that only matched the defaults would show."""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from scrape import wait_for

import finmon
from finmon import dashboard, stack
from finmon._promql import duration
from finmon.testing import FakeEngine

#: The design's "Configuration Example", exactly as printed (a fixture the Swift tests read too).
DESIGN_CONFIG = (Path(__file__).resolve().parents[3] / "Tests" / "FinMonCoreTests" / "Fixtures"
                 / "design_config.yaml").read_text()

#: The design's values, by key path (what the verbatim file must put in effect).
DESIGN = {
    "monitoring.enabled": True,
    "monitoring.prometheus.port": 8000,
    "monitoring.prometheus.metrics_path": "/metrics",
    "monitoring.prometheus.scrape_interval": 5.0,
    "monitoring.resource_monitor.enabled": True,
    "monitoring.resource_monitor.collection_interval": 5.0,
    "monitoring.diversity_monitor.enabled": True,
    "monitoring.diversity_monitor.diversity_collapse_threshold": 0.1,
    "monitoring.diversity_monitor.diversity_collapse_window": 5,
    "monitoring.container_monitor.enabled": True,
    "monitoring.container_monitor.stats_collection_interval": 10.0,
    "monitoring.alerts.enabled": True,
    "monitoring.alerts.evaluation_interval": 10.0,
    "monitoring.alerts.memory_threshold_percent": 80.0,
    "monitoring.alerts.cpu_threshold_percent": 90.0,
    "monitoring.alerts.diversity_collapse.threshold": 0.1,
    "monitoring.alerts.diversity_collapse.window": 5,
    "monitoring.alerts.champion_staleness.threshold_iterations": 20,
    "monitoring.alerts.success_rate.threshold_percent": 20.0,
    "monitoring.alerts.success_rate.window_iterations": 10,
    "monitoring.alerts.orphaned_containers.threshold": 3,
    "monitoring.alerts.orphaned_containers.auto_cleanup": True,
    "monitoring.export.final_metrics_path": "metrics_final.json",
    "monitoring.export.prometheus_snapshot_path": "prometheus_metrics_final.txt",
    "monitoring.export.retention_days": 30,
    "grafana.dashboard_path": "config/grafana_dashboard.json",
    "grafana.datasource_url": "http://localhost:9090",
    "grafana.refresh_interval": "5s",
}

#: Another value for every setting that has a value to change (the switches are checked
#: by test_each_switch_turns_its_part_off).
CHANGED = {
    "monitoring.prometheus.metrics_path": "/loop/metrics",
    "monitoring.prometheus.scrape_interval": 2.5,
    "monitoring.resource_monitor.collection_interval": 0.5,
    "monitoring.diversity_monitor.diversity_collapse_threshold": 0.25,
    "monitoring.diversity_monitor.diversity_collapse_window": 3,
    "monitoring.container_monitor.stats_collection_interval": 7.0,
    "monitoring.alerts.evaluation_interval": 4.0,
    "monitoring.alerts.memory_threshold_percent": 70.0,
    "monitoring.alerts.cpu_threshold_percent": 95.0,
    "monitoring.alerts.diversity_collapse.threshold": 0.25,
    "monitoring.alerts.diversity_collapse.window": 3,
    "monitoring.alerts.champion_staleness.threshold_iterations": 12,
    "monitoring.alerts.success_rate.threshold_percent": 35.0,
    "monitoring.alerts.success_rate.window_iterations": 6,
    "monitoring.alerts.orphaned_containers.threshold": 2,
    "monitoring.alerts.orphaned_containers.auto_cleanup": False,
    "monitoring.export.final_metrics_path": "run_final.json",
    "monitoring.export.prometheus_snapshot_path": "run_final.txt",
    "monitoring.export.retention_days": 7,
    "grafana.dashboard_path": "out/dashboard.json",
    "grafana.datasource_url": "http://127.0.0.1:9191",
    "grafana.refresh_interval": "15s",
}

SWITCHES = [path for path, value in DESIGN.items() if path.endswith(".enabled")]


def rewrite(text: str, values: dict[str, Any]) -> str:
    """The design's text with the values at these paths replaced, line by line (its layout,
    its comments and its blank lines kept)."""
    lines = text.splitlines()
    stack_: list[tuple[int, str]] = []
    for index, line in enumerate(lines):
        found = re.match(r"( *)([a-z_]+):(.*)", line)
        if not found:
            continue
        indent, key, rest = len(found[1]), found[2], found[3]
        stack_ = [(i, k) for i, k in stack_ if i < indent] + [(indent, key)]
        path = ".".join(k for _, k in stack_)
        if path in values:
            comment = rest[rest.index("#"):] if "#" in rest else ""
            lines[index] = f"{found[1]}{key}: {json.dumps(values[path])}" + (f"  {comment}" if comment else "")
    return "\n".join(lines) + "\n"


def expected(values: dict[str, Any]) -> dict[str, Any]:
    return {**DESIGN, **values}


def started(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch, engine: FakeEngine) -> finmon.Runtime:
    """finmon.start on the text in tmp_path, with the working directory there (the design's
    paths are relative), the engine the fake one, and a free port instead of the file's
    (test_the_port_is_the_one_the_file_names checks the file's)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", engine.url)
    path = tmp_path / "monitoring_config.yaml"
    path.write_text(text)
    return finmon.start(path, port=0)


def check_effects(runtime: finmon.Runtime, want: dict[str, Any], tmp_path: Path) -> None:
    """Every setting of `want` is in effect in the running finmon and the generated files."""
    assert runtime.enabled and runtime.collector is not None
    assert runtime.resources is not None and runtime.diversity is not None
    assert runtime.containers is not None and runtime.alerts is not None
    collector, alerts = runtime.collector, runtime.alerts
    for path, value in want.items():
        assert runtime.config.setting(path) == value, path

    # The exporter serves at metrics_path, and only there.
    collector.record_iteration(1, True, 0.1)
    port = runtime.port
    assert port is not None
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{want['monitoring.prometheus.metrics_path']}") as response:
        assert "strategy_success_total 1.0" in response.read().decode()
    other = "/metrics" if want["monitoring.prometheus.metrics_path"] != "/metrics" else "/prometheus"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}{other}")

    # The intervals in use.
    assert runtime.resources.interval_seconds == want["monitoring.resource_monitor.collection_interval"]
    status = runtime.containers.get_status()
    assert status["polling"] and status["poll_interval_seconds"] == want[
        "monitoring.container_monitor.stats_collection_interval"]
    assert alerts.running and alerts.interval_seconds == want["monitoring.alerts.evaluation_interval"]
    assert status["orphan_threshold"] == want["monitoring.alerts.orphaned_containers.threshold"]
    assert status["auto_cleanup"] == want["monitoring.alerts.orphaned_containers.auto_cleanup"]

    # Thresholds: just past each one the rule fires with it as its threshold; at it, not.
    def fires(check: Any, **signal: float) -> Any:
        alerts.clear_snapshot()
        alerts.inject_snapshot(**signal)
        return check()

    memory = want["monitoring.alerts.memory_threshold_percent"]
    assert fires(alerts._check_memory_threshold, memory_percent=memory) is None
    assert fires(alerts._check_memory_threshold, memory_percent=memory + 0.5).threshold_value == memory
    cpu = want["monitoring.alerts.cpu_threshold_percent"]
    assert fires(alerts._check_cpu_threshold, cpu_percent=cpu) is None
    assert fires(alerts._check_cpu_threshold, cpu_percent=cpu + 0.5).threshold_value == cpu
    stale = want["monitoring.alerts.champion_staleness.threshold_iterations"]
    assert fires(alerts._check_champion_staleness, champion_staleness=stale - 1) is None
    assert fires(alerts._check_champion_staleness, champion_staleness=stale).threshold_value == stale
    rate = want["monitoring.alerts.success_rate.threshold_percent"]
    assert fires(alerts._check_success_rate, success_rate=rate / 100) is None
    assert fires(alerts._check_success_rate, success_rate=rate / 100 - 0.01).threshold_value == rate
    orphans = want["monitoring.alerts.orphaned_containers.threshold"]
    assert fires(alerts._check_orphaned_containers, orphaned_containers=orphans - 1) is None
    assert fires(alerts._check_orphaned_containers, orphaned_containers=orphans).threshold_value == orphans
    alerts.clear_snapshot()

    # The windows, from recorded values: the collapse window and threshold (one value in
    # both sections) and the success-rate window.
    threshold = want["monitoring.alerts.diversity_collapse.threshold"]
    window = want["monitoring.alerts.diversity_collapse.window"]
    for iteration in range(2, 2 + window - 1):
        runtime.record_diversity(iteration, threshold / 2, 1, 10)
    assert not runtime.diversity.check_diversity_collapse() and alerts._check_diversity_collapse() is None
    runtime.record_diversity(1 + window, threshold / 2, 1, 10)
    assert runtime.diversity.check_diversity_collapse()
    assert alerts._check_diversity_collapse().threshold_value == threshold
    runtime.record_diversity(2 + window, threshold, 1, 10)  # at the threshold is not below it
    assert not runtime.diversity.check_diversity_collapse()
    success_window = want["monitoring.alerts.success_rate.window_iterations"]
    for iteration in range(2 + window, 2 + window + success_window - 2):
        collector.record_iteration(iteration, False, 0.1)
    assert not collector.success_window_full and alerts._check_success_rate() is None
    collector.record_iteration(2 + window + success_window, False, 0.1)
    assert collector.success_window_full and alerts._check_success_rate() is not None

    # The files generated from the config: prometheus.yml, the stack, the dashboard.
    settings = stack.StackSettings.from_config(runtime.config)
    prometheus_yml = stack.render_prometheus_config(settings)
    scrape = duration(want["monitoring.prometheus.scrape_interval"])
    assert f"  scrape_interval: {scrape}\n" in prometheus_yml
    assert f"    metrics_path: {want['monitoring.prometheus.metrics_path']}\n" in prometheus_yml
    days = want["monitoring.export.retention_days"]
    assert settings.retention == f"{days}d" and f"--storage.tsdb.retention.time={days}d" in prometheus_yml
    url = want["grafana.datasource_url"]
    assert settings.prometheus_listen_address == url.split("//", 1)[1]
    config_path = tmp_path / "monitoring_config.yaml"
    (tmp_path / Path(want["grafana.dashboard_path"]).parent).mkdir(parents=True, exist_ok=True)
    assert dashboard.main([str(config_path), "--write"]) == 0
    board = json.loads((tmp_path / want["grafana.dashboard_path"]).read_text())
    assert board["refresh"] == want["grafana.refresh_interval"]
    assert board["links"][0]["url"] == url and url in board["__inputs"][0]["description"]
    assert {p["interval"] for p in board["panels"] if p["type"] == "timeseries"} == {scrape}

    # The final record, at stop, where export says.
    runtime.stop()
    record = json.loads((tmp_path / want["monitoring.export.final_metrics_path"]).read_text())
    assert record["run"]["iterations"] == 2 + window + success_window
    assert "strategy_failure_total" in (tmp_path / want["monitoring.export.prometheus_snapshot_path"]).read_text()


def test_the_designs_config_verbatim_puts_each_of_its_settings_in_effect(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert finmon.MonitoringConfig.from_text(DESIGN_CONFIG).warnings == ()
    with FakeEngine(tmp_path) as engine:
        runtime = started(tmp_path, DESIGN_CONFIG, monkeypatch, engine)
        try:
            check_effects(runtime, expected({"monitoring.prometheus.port": 0}), tmp_path)
        finally:
            runtime.stop()


def test_the_design_layout_with_every_value_changed_puts_the_new_values_in_effect(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = rewrite(DESIGN_CONFIG, CHANGED)
    assert text.count("\n") == DESIGN_CONFIG.count("\n")  # the same layout
    assert finmon.MonitoringConfig.from_text(text).warnings == ()
    with FakeEngine(tmp_path) as engine:
        runtime = started(tmp_path, text, monkeypatch, engine)
        try:
            check_effects(runtime, expected({**CHANGED, "monitoring.prometheus.port": 0}), tmp_path)
        finally:
            runtime.stop()


def test_the_port_is_the_one_the_file_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """Without the override: the exporter serves 8000, or, when something else holds 8000
    on this shared machine, waits for it (the design's degraded mode), saying which port."""
    caplog.set_level(logging.WARNING, logger="finmon")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "monitoring_config.yaml"
    path.write_text(DESIGN_CONFIG)
    with finmon.start(path, final_export=False, enable_containers=False) as runtime:
        assert runtime.collector is not None
        runtime.collector.loop_iteration.set(424242)
        if runtime.port is not None:
            assert runtime.port == 8000
            with urllib.request.urlopen("http://127.0.0.1:8000/metrics") as response:
                assert "loop_iteration 424242.0" in response.read().decode()
        else:
            wait_for(lambda: any("Metrics export disabled, Prometheus unavailable: port 8000 is in use"
                                 in r.getMessage() for r in caplog.records),
                     message="the degraded-mode warning naming port 8000")


@pytest.mark.parametrize("switch", SWITCHES)
def test_each_switch_turns_its_part_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str) -> None:
    text = rewrite(DESIGN_CONFIG, {switch: False})
    with FakeEngine(tmp_path) as engine:
        runtime = started(tmp_path, text, monkeypatch, engine)
        try:
            if switch == "monitoring.enabled":
                assert runtime.collector is None and runtime.port is None
                with runtime.iteration(1) as it:
                    it.result(sharpe=1.0)
                return
            part = {"monitoring.resource_monitor.enabled": runtime.resources,
                    "monitoring.diversity_monitor.enabled": runtime.diversity,
                    "monitoring.container_monitor.enabled": runtime.containers}.get(switch)
            if switch == "monitoring.alerts.enabled":
                assert runtime.alerts is not None and not runtime.alerts.running
            else:
                assert part is None
            others = [s for s in SWITCHES if s not in (switch, "monitoring.enabled", "monitoring.alerts.enabled")]
            assert all(runtime.config.setting(s) for s in others)
        finally:
            runtime.stop()
