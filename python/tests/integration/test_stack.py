"""config/prometheus.yml and `python -m finmon.stack`: the committed Prometheus config is
the rendering of the committed monitoring config and passes `promtool check config`; the
stack starts a real Prometheus (finmon job, rules, retention from the config, alerts to
its Alertmanager) and a real Alertmanager on the ports given, prints their URLs, and on
SIGINT stops both and exits 0; a missing binary is skipped with a message."""

from __future__ import annotations

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

import finmon
from finmon import stack
from finmon.stack import StackSettings, render_prometheus_config

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG_DIR = REPO_ROOT / "config"
PROMETHEUS_YML = CONFIG_DIR / "prometheus.yml"
READY = re.compile(r"^(Prometheus|Alertmanager) ready: (http://127\.0\.0\.1:\d+)/ \(pid (\d+),")

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
    result = doctest.testmod(stack)
    assert result.attempted > 3 and result.failed == 0


# ---- python -m finmon.stack --------------------------------------------------------------


class Stack:
    """`python -m finmon.stack` as a subprocess, its output read line by line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "finmon.stack", *args],
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO_ROOT / "python"), os.environ.get("PYTHONPATH")])), **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for_line(self, pattern: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                line = ""
            if line is None:
                raise AssertionError(f"stack exited ({self.process.wait()}) before {pattern!r}:\n"
                                     + "\n".join(self.lines))
            if line:
                self.lines.append(line)
                if re.search(pattern, line):
                    return line
            if time.monotonic() >= deadline:
                raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n" + "\n".join(self.lines))

    def rest(self) -> list[str]:
        self._reader.join(timeout=10)
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return self.lines

    def servers(self) -> dict[str, tuple[str, int]]:
        """Name -> (URL, PID) from the "ready" lines printed so far."""
        found = {}
        for line in self.lines:
            match = READY.match(line)
            if match:
                found[match.group(1)] = (match.group(2), int(match.group(3)))
        return found

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def run_stack() -> Iterator[Any]:
    started: list[Stack] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Stack:
        created = Stack(*args, env=env)
        started.append(created)
        return created

    try:
        yield start
    finally:
        for created in started:
            created.close()


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def port_closed(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) != 0


def test_stack_runs_prometheus_and_alertmanager_and_stops_them_on_sigint(
        run_stack: Any, config_dir: Path, tmp_path: Path) -> None:
    prometheus_port, alertmanager_port = free_port(), free_port()
    data_dir = tmp_path / "data"
    stack_process = run_stack("--config", str(config_dir / "monitoring_config.yaml"),
                              "--prometheus-port", str(prometheus_port),
                              "--alertmanager-port", str(alertmanager_port), "--data-dir", str(data_dir))
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
    no_gossip = json.dumps(http_json(f"{alertmanager}/api/v2/status")["cluster"])
    assert '"status": "disabled"' in no_gossip

    stack_process.process.send_signal(signal.SIGINT)
    assert stack_process.process.wait(timeout=60) == 0, stack_process.rest()
    assert "finmon stack: stopped" in stack_process.rest()
    assert gone(prometheus_pid) and gone(alertmanager_pid)
    assert port_closed(prometheus) and port_closed(alertmanager)
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
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
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
