"""config/prometheus.yml and `python -m finmon.stack`: the committed Prometheus config is
the rendering of the committed monitoring config and passes `promtool check config`; the
stack starts a real Prometheus (finmon job, rules, retention from the config, alerts to
its Alertmanager) and a real Alertmanager on the ports given, prints their URLs, and on
SIGINT stops both and exits 0; a missing binary is skipped with a message."""

from __future__ import annotations

import contextlib
import doctest
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from servers import free_port, http_json, wait_for
from stack_process import Stack

import finmon
from finmon import stack
from finmon.stack import StackSettings, render_prometheus_config

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG_DIR = REPO_ROOT / "config"
PROMETHEUS_YML = CONFIG_DIR / "prometheus.yml"

#: A valid rule file for when config/alert_rules.yml (rendered elsewhere) is not there.
TRIVIAL_RULES = """\
groups:
  - name: stack-test
    rules:
      - record: "finmon:up"
        expr: up{job="finmon"}
"""


def committed_settings() -> StackSettings:
    """What --print-prometheus-config is given for the committed config."""
    return StackSettings.from_config(finmon.MonitoringConfig.from_yaml(str(CONFIG_DIR / "monitoring_config.yaml")))


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of config/ with an alert_rules.yml in it (a trivial one if config/ has none)."""
    copy = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, copy)
    if not (copy / "alert_rules.yml").is_file():
        (copy / "alert_rules.yml").write_text(TRIVIAL_RULES)
    return copy


# ---- config/prometheus.yml -------------------------------------------------------------


def test_committed_prometheus_config_is_the_rendering_of_the_committed_config() -> None:
    assert PROMETHEUS_YML.read_text() == render_prometheus_config(committed_settings()), (
        "config/prometheus.yml is stale: regenerate it with "
        "`python -m finmon.stack --config config/monitoring_config.yaml --print-prometheus-config "
        "> config/prometheus.yml`")


def test_defaults_are_the_committed_config() -> None:
    cfg = yaml.safe_load((CONFIG_DIR / "monitoring_config.yaml").read_text())
    prometheus = cfg["monitoring"]["prometheus"]
    assert StackSettings() == StackSettings(
        scrape_interval_seconds=prometheus["scrape_interval"],
        evaluation_interval_seconds=cfg["monitoring"]["alerts"]["evaluation_interval"],
        exporter_address=prometheus["address"],
        exporter_port=prometheus["port"],
        retention_days=cfg["monitoring"]["export"]["retention_days"],
        metrics_path=prometheus["metrics_path"],
        prometheus_url=cfg["grafana"]["datasource_url"],
    )


def test_committed_prometheus_config_scrapes_finmon_every_5s_with_rules_and_alertmanager() -> None:
    config = yaml.safe_load(PROMETHEUS_YML.read_text())
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "finmon"
    assert job["scrape_interval"] == config["global"]["scrape_interval"] == "5s"
    assert job["static_configs"] == [{"targets": ["127.0.0.1:8000"]}]
    assert config["rule_files"] == ["alert_rules.yml"]  # relative to config/, as Prometheus reads it
    (alertmanager,) = config["alerting"]["alertmanagers"]
    assert alertmanager["static_configs"] == [{"targets": ["127.0.0.1:9093"]}]
    assert job["metrics_path"] == "/metrics"
    assert "--storage.tsdb.retention.time=30d" in PROMETHEUS_YML.read_text()


def test_promtool_accepts_the_committed_prometheus_config(config_dir: Path) -> None:
    checked = subprocess.run(["promtool", "check", "config", str(config_dir / "prometheus.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 1 rule files found" in checked.stdout, checked.stdout


def test_rendering_follows_the_settings() -> None:
    settings = StackSettings(scrape_interval_seconds=2.5, evaluation_interval_seconds=1,
                             exporter_address="0.0.0.0", exporter_port=9100, retention_days=1.5)
    config = yaml.safe_load(render_prometheus_config(settings, rule_files=("/abs/rules.yml", "two words.yml"),
                                                     alertmanager=None))
    assert config["global"] == {"scrape_interval": "2500ms", "evaluation_interval": "1s"}
    assert config["scrape_configs"][0]["static_configs"] == [{"targets": ["127.0.0.1:9100"]}]
    assert config["rule_files"] == ["/abs/rules.yml", "two words.yml"]
    assert "alerting" not in config
    assert settings.retention == "129600s"
    assert StackSettings(exporter_address="::").scrape_target == "[::1]:8000"


@pytest.mark.parametrize(("field", "value"), [
    ("scrape_interval_seconds", 0), ("retention_days", float("inf")), ("exporter_port", 70000),
    ("exporter_port", True), ("evaluation_interval_seconds", "5"),
])
def test_bad_settings_are_refused(field: str, value: Any) -> None:
    with pytest.raises((TypeError, ValueError), match=field):
        StackSettings(**{field: value})


def test_module_examples() -> None:
    from finmon import _prometheus_config

    for module in (stack, _prometheus_config):
        result = doctest.testmod(module)
        assert result.attempted >= 2 and result.failed == 0, module.__name__


# ---- python -m finmon.stack --------------------------------------------------------------


@pytest.fixture
def run_stack() -> Iterator[Any]:
    started: list[Stack] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Stack:
        # Never the default 5001: other test runs on this machine may use it.
        receiver = () if "--receiver-port" in args else ("--receiver-port", str(free_port()))
        created = Stack(*args, *receiver, env=env)
        started.append(created)
        return created

    try:
        yield start
    finally:
        for created in started:
            created.close()


@contextlib.contextmanager
def busy_port() -> Iterator[int]:
    """A loopback port something listens on, for as long as the block runs."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def port_closed(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) != 0


def test_stack_runs_prometheus_and_alertmanager_and_stops_them_on_sigint(
        run_stack: Any, config_dir: Path, tmp_path: Path) -> None:
    prometheus_port, alertmanager_port, receiver_port = free_port(), free_port(), free_port()
    data_dir = tmp_path / "data"
    stack_process = run_stack("--config", str(config_dir / "monitoring_config.yaml"),
                              "--prometheus-port", str(prometheus_port),
                              "--alertmanager-port", str(alertmanager_port), "--data-dir", str(data_dir),
                              "--receiver-port", str(receiver_port))
    stack_process.wait_for_line(r"^finmon stack: running; Prometheus scrapes 127\.0\.0\.1:8000 every 5s")
    servers = stack_process.servers()
    assert servers.keys() == {"Prometheus", "Alertmanager"}, stack_process.lines
    prometheus, prometheus_pid = servers["Prometheus"]
    alertmanager, alertmanager_pid = servers["Alertmanager"]
    assert prometheus == f"http://127.0.0.1:{prometheus_port}"
    assert alertmanager == f"http://127.0.0.1:{alertmanager_port}"

    for url in (prometheus, alertmanager):
        with urllib.request.urlopen(f"{url}/-/ready", timeout=5) as response:
            assert response.status == 200
    loaded = yaml.safe_load(http_json(f"{prometheus}/api/v1/status/config")["data"]["yaml"])
    (job,) = loaded["scrape_configs"]
    assert job["job_name"] == "finmon" and job["static_configs"] == [{"targets": ["127.0.0.1:8000"]}]
    assert loaded["rule_files"] == [str((config_dir / "alert_rules.yml").resolve())]
    flags = http_json(f"{prometheus}/api/v1/status/flags")["data"]
    assert flags["storage.tsdb.retention.time"] == "30d"
    assert Path(flags["storage.tsdb.path"]) == (data_dir / "prometheus").resolve()
    rule_groups = http_json(f"{prometheus}/api/v1/rules")["data"]["groups"]
    assert rule_groups and all(rule["health"] != "err" for g in rule_groups for rule in g["rules"])
    # Prometheus found its Alertmanager (discovery applies on a 5 s tick).
    wait_for(lambda: [a for a in http_json(f"{prometheus}/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
                      if a["url"].startswith(alertmanager)],
             timeout=20, message="Prometheus lists the stack's Alertmanager")
    status = http_json(f"{alertmanager}/api/v2/status")
    assert '"status": "disabled"' in json.dumps(status["cluster"])  # no gossip
    # The committed alertmanager.yml, its receiver moved to the port the receiver listens on.
    assert f"http://127.0.0.1:{receiver_port}/alerts" in status["config"]["original"]
    assert f"Receiver ready: http://127.0.0.1:{receiver_port}/alerts" in "\n".join(stack_process.lines)
    assert not port_closed(f"http://127.0.0.1:{receiver_port}")

    stack_process.process.send_signal(signal.SIGINT)
    assert stack_process.process.wait(timeout=60) == 0, stack_process.rest()
    assert "finmon stack: stopped" in stack_process.rest()
    assert gone(prometheus_pid) and gone(alertmanager_pid)
    assert port_closed(prometheus) and port_closed(alertmanager) and port_closed(f"http://127.0.0.1:{receiver_port}")
    assert (data_dir / "prometheus").is_dir() and (data_dir / "alertmanager.log").is_file()  # kept


def test_sigterm_stops_the_stack_too_and_a_temporary_data_dir_is_removed(
        run_stack: Any, config_dir: Path) -> None:
    stack_process = run_stack("--config", str(config_dir / "monitoring_config.yaml"),
                              "--prometheus-port", str(free_port()), "--alertmanager-port", str(free_port()))
    stack_process.wait_for_line(r"^finmon stack: running")
    (line,) = [entry for entry in stack_process.lines if entry.startswith("Prometheus ready:")]
    log = Path(re.search(r"log (\S+)\)", line).group(1))  # type: ignore[union-attr]
    assert log.is_file()
    stack_process.process.send_signal(signal.SIGTERM)
    assert stack_process.process.wait(timeout=60) == 0, stack_process.rest()
    assert all(gone(pid) for _, pid in stack_process.servers().values())
    assert not log.parent.exists()


def test_a_missing_alertmanager_is_skipped_and_prometheus_runs_without_alerting(
        run_stack: Any, config_dir: Path, tmp_path: Path) -> None:
    only_prometheus = tmp_path / "bin"
    only_prometheus.mkdir()
    (only_prometheus / "prometheus").symlink_to(shutil.which("prometheus") or "prometheus")
    stack_process = run_stack("--config", str(config_dir / "monitoring_config.yaml"),
                              "--prometheus-port", str(free_port()), "--alertmanager-port", str(free_port()),
                              env={"PATH": str(only_prometheus)})
    stack_process.wait_for_line(r"^finmon stack: running")
    assert any("`prometheus-alertmanager` / `alertmanager` is not installed; skipping it" in line
               for line in stack_process.lines), stack_process.lines
    servers = stack_process.servers()
    assert servers.keys() == {"Prometheus"}
    prometheus, pid = servers["Prometheus"]
    loaded = yaml.safe_load(http_json(f"{prometheus}/api/v1/status/config")["data"]["yaml"])
    assert "alertmanagers" not in (loaded.get("alerting") or {})
    stack_process.process.send_signal(signal.SIGINT)
    assert stack_process.process.wait(timeout=60) == 0, stack_process.rest()
    assert gone(pid)


def test_nothing_installed_says_so_and_exits_1(run_stack: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    stack_process = run_stack("--prometheus-port", str(free_port()), env={"PATH": str(empty)})
    assert stack_process.process.wait(timeout=60) == 1
    output = "\n".join(stack_process.rest())
    assert "`prometheus` is not installed; skipping it" in output
    assert "nothing to run; the loop's exporter still serves http://127.0.0.1:8000/metrics" in output


def test_a_server_that_cannot_start_fails_the_stack_with_its_log(
        run_stack: Any, config_dir: Path) -> None:
    # The port is taken: Prometheus exits at start-up; the stack reports its log, stops
    # Alertmanager and exits 1.
    with busy_port() as busy:
        stack_process = run_stack("--config", str(config_dir / "monitoring_config.yaml"),
                                  "--prometheus-port", str(busy), "--alertmanager-port", str(free_port()))
        assert stack_process.process.wait(timeout=60) == 1
    output = "\n".join(stack_process.rest())
    assert re.search(r"Prometheus exited with code \d+ during start-up", output), output
    assert "address already in use" in output
    assert all(gone(pid) for _, pid in stack_process.servers().values())


def test_a_missing_config_file_is_an_error(run_stack: Any, tmp_path: Path) -> None:
    stack_process = run_stack("--config", str(tmp_path / "nope.yaml"))
    assert stack_process.process.wait(timeout=60) == 2
    assert any("nope.yaml not found" in line for line in stack_process.rest())


def test_an_alert_reaches_the_stack_s_receiver_through_the_committed_alertmanager_config(
        run_stack: Any, config_dir: Path, tmp_path: Path) -> None:
    # The committed routing, grouping shortened so the test does not wait the shipped 10 s.
    example = config_dir / "alertmanager.yml"
    example.write_text(example.read_text().replace("group_wait: 10s", "group_wait: 1s"))
    notifications = tmp_path / "notifications.jsonl"
    data_dir = tmp_path / "data"
    stack_process = run_stack("--config", str(config_dir / "monitoring_config.yaml"),
                              "--prometheus-port", str(free_port()), "--alertmanager-port", str(free_port()),
                              "--notifications", str(notifications), "--data-dir", str(data_dir))
    stack_process.wait_for_line(r"^finmon stack: running")
    alertmanager, _ = stack_process.servers()["Alertmanager"]
    labels = {"alertname": "high_cpu", "alert_type": "high_cpu", "severity": "warning", "job": "finmon",
              "instance": "127.0.0.1:8000"}
    http_json(f"{alertmanager}/api/v2/alerts", method="POST", body=[{
        "labels": labels, "annotations": {"description": "CPU usage 97.0% is above 90%"}}])
    # Printed on the terminal...
    line = stack_process.wait_for_line(r"FIRING high_cpu", timeout=30)
    assert line.endswith("FIRING high_cpu warning 127.0.0.1:8000 - CPU usage 97.0% is above 90%")
    # ...and appended to the file, as Alertmanager sent it.
    (notification,) = [json.loads(text) for text in notifications.read_text().splitlines()]
    assert notification["receiver"] == "finmon-receiver" and notification["status"] == "firing"
    assert notification["groupLabels"] == {"alertname": "high_cpu", "job": "finmon", "instance": "127.0.0.1:8000"}
    assert notification["alerts"][0]["labels"] == labels
    stack_process.process.send_signal(signal.SIGINT)
    assert stack_process.process.wait(timeout=60) == 0, stack_process.rest()
    # The receiver was there for every notification: Alertmanager never had to retry.
    assert "Notify for alerts failed" not in (data_dir / "alertmanager.log").read_text()


def test_a_busy_receiver_port_stops_the_stack_before_alertmanager_starts(
        run_stack: Any, config_dir: Path) -> None:
    with busy_port() as busy:
        stack_process = run_stack("--config", str(config_dir / "monitoring_config.yaml"),
                                  "--prometheus-port", str(free_port()), "--alertmanager-port", str(free_port()),
                                  "--receiver-port", str(busy))
        assert stack_process.process.wait(timeout=60) == 1
    output = "\n".join(stack_process.rest())
    assert f"the alert receiver cannot listen on 127.0.0.1:{busy}" in output
    # Alertmanager never ran against a receiver that is not there.
    assert "Alertmanager ready" not in output and not stack_process.servers()


def test_without_an_alertmanager_yml_every_alert_goes_to_the_receiver(tmp_path: Path) -> None:
    from finmon._services import alertmanager_config

    path, note = alertmanager_config(None, tmp_path, 5123)
    assert 'url: "http://127.0.0.1:5123/alerts"' in path.read_text()
    assert "sends every alert to the receiver" in note
    checked = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # A file that routes elsewhere is run as it is, and the stack says so.
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "alertmanager.yml").write_text("route:\n  receiver: x\nreceivers:\n  - name: x\n")
    path, note = alertmanager_config(custom, tmp_path, 5001)
    assert path == custom / "alertmanager.yml" and "does not name the stack's receiver" in note


def test_the_generated_prometheus_config_labels_the_target_as_finmon_labels_its_alerts() -> None:
    settings = StackSettings(job_name="evolution", instance="loop-a", target_labels={"env": "prod"})
    config = yaml.safe_load(render_prometheus_config(settings))
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "evolution"
    assert job["static_configs"] == [{"targets": ["127.0.0.1:8000"], "labels": {"env": "prod", "instance": "loop-a"}}]
    # From a config file, through the same keys finmon's alerts read.
    cfg = finmon.MonitoringConfig.defaults().replace({
        "monitoring.prometheus.job_name": "evolution", "monitoring.prometheus.instance": "loop-a",
        "monitoring.alerts.alertmanager.labels": {"env": "prod"}})
    assert StackSettings.from_config(cfg) == settings
    with pytest.raises(ValueError, match="job_name"):
        StackSettings(job_name="")


def test_prometheus_listens_where_the_dashboard_reads_it(run_stack: Any, config_dir: Path) -> None:
    """Without --prometheus-port, Prometheus serves at grafana.datasource_url's host and port."""
    port = free_port()
    config = config_dir / "monitoring_config.yaml"
    config.write_text(config.read_text().replace('datasource_url: "http://localhost:9090"',
                                                 f'datasource_url: "http://127.0.0.1:{port}"'))
    stack_process = run_stack("--config", str(config), "--alertmanager-port", str(free_port()))
    stack_process.wait_for_line(r"^finmon stack: running")
    prometheus, _ = stack_process.servers()["Prometheus"]
    assert prometheus == f"http://127.0.0.1:{port}"
    assert http_json(f"{prometheus}/api/v1/status/flags")["data"]["web.listen-address"] == f"127.0.0.1:{port}"


def test_with_a_file_sd_path_the_stack_scrapes_every_loop_the_file_lists(
        run_stack: Any, config_dir: Path, tmp_path: Path) -> None:
    """Loops announcing themselves (port 0 too: the file says which port each got) are
    scraped with their instance, run_id and host labels; a loop that stops is dropped."""
    targets = tmp_path / "targets.json"
    config = config_dir / "monitoring_config.yaml"
    text = config.read_text()
    for old, new in (("port: 8000 ", "port: 0    "), ("file_sd_path: null", f'file_sd_path: "{targets}"'),
                     ("scrape_interval: 5 ", "scrape_interval: 1 ")):
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text)
    checked = subprocess.run(["promtool", "check", "config", "/dev/stdin"], input=subprocess.run(
        [sys.executable, "-m", "finmon.stack", "--config", str(config), "--print-prometheus-config"],
        capture_output=True, text=True, check=True).stdout.replace("alert_rules.yml", str(config_dir / "alert_rules.yml")),
        capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    loops = [finmon.start(config, final_export=False, enable_containers=False) for _ in range(2)]
    try:
        stack_process = run_stack("--config", str(config), "--prometheus-port", str(free_port()),
                                  "--alertmanager-port", str(free_port()))
        stack_process.wait_for_line(
            r"^finmon stack: running; Prometheus scrapes the loops listed in " + re.escape(str(targets)))
        prometheus, _ = stack_process.servers()["Prometheus"]
        expected = {f"127.0.0.1:{loop.port}": loop.run_id for loop in loops}

        def up() -> dict[str, str]:
            found = http_json(f"{prometheus}/api/v1/query?query=up%3D%3D1")["data"]["result"]
            return {r["metric"]["instance"]: r["metric"]["run_id"] for r in found}

        wait_for(lambda: up() == expected, timeout=60, message=f"both loops scraped: {expected}")
        loops[0].stop()
        remaining = {f"127.0.0.1:{loops[1].port}"}
        wait_for(lambda: {t["labels"]["instance"] for t in http_json(f"{prometheus}/api/v1/targets")["data"]
                          ["activeTargets"]} == remaining, timeout=60, message="the stopped loop dropped")
    finally:
        for loop in loops:
            loop.stop()
