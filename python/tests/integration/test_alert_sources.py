"""One alert per condition at Alertmanager, whichever sources are on.

A loop process (faulty_loop.py) gets every in-process alert to fire under ``finmon.start``,
with finmon's own delivery to Alertmanager on; ``python -m finmon stack`` runs a real
Prometheus with the rules rendered from the same config, a real Alertmanager with the
committed alertmanager.yml, and the receiver that config names. Each alert type appears
exactly once in Alertmanager's /api/v2/alerts (finmon's copy and Prometheus' share one
label set) and in exactly one firing notification at the receiver. Then the loop is
killed with SIGKILL: Prometheus' loop_down reaches the receiver. A second test stops a
loop cleanly: its firing alerts are resolved at Alertmanager at once.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import SANDBOX_IMAGE, AlertmanagerServer, PodmanService, free_port, http_json, wait_for
from stack_process import Stack

import finmon
from finmon.config import render_rules
from finmon.testing import NO_HOLD_DOWN

REPO_ROOT = Path(__file__).resolve().parents[3]
LOOP = Path(__file__).with_name("faulty_loop.py")
IN_PROCESS = ["high_memory", "high_cpu", "diversity_collapse", "champion_staleness", "low_success_rate",
              "orphaned_containers", "memory_leak", "loop_stuck"]
#: What Alertmanager's group_wait and group_interval are shortened to here.
GROUPING_SECONDS = 1.0


def write_config(folder: Path, port: int, alertmanager_url: str, label: str, docker_host: str) -> Path:
    """Thresholds this machine crosses at once (memory above 1%, any CPU), iteration windows
    of 2, a leak horizon of 30 days (1 MB/s reaches any limit), a loop stuck after 3 s
    without an iteration; no hold-downs but loop_down's, which outlasts the scrapes before
    the loop starts."""
    holds = {**NO_HOLD_DOWN, "loop_down": 15}
    text = f"""
monitoring:
  prometheus: {{port: {port}, scrape_interval: 1}}
  resource_monitor: {{collection_interval: 0.5, rss_growth_window: 5}}
  container_monitor:
    docker_host: "{docker_host}"
    label: "{label}"
    stats_collection_interval: 0.5
  alerts:
    evaluation_interval: 1
    log_file: "{folder / 'alerts.jsonl'}"
    memory_threshold_percent: 1
    cpu_threshold_percent: 0.01
    hysteresis: {{high_memory: 0.5, high_cpu: 0.005}}
    diversity_collapse: {{threshold: 0.1, window: 2}}
    champion_staleness: {{threshold_iterations: 3}}
    success_rate: {{threshold_percent: 50, window_iterations: 2}}
    orphaned_containers: {{threshold: 1, auto_cleanup: false}}
    memory_leak: {{horizon: 2592000}}
    loop_stuck: {{expected_iteration_time: 1, multiple: 3}}
    for_seconds: {json.dumps(holds)}
    alertmanager: {{url: "{alertmanager_url}", resend_interval: 1}}
  export: {{directory: "{folder}"}}
"""
    path = folder / "monitoring_config.yaml"
    path.write_text(text)
    (folder / "alert_rules.yml").write_text(render_rules(path))
    committed = (REPO_ROOT / "config" / "alertmanager.yml").read_text()
    shortened = committed.replace("group_wait: 10s", f"group_wait: {GROUPING_SECONDS:g}s") \
        .replace("group_interval: 1m", f"group_interval: {GROUPING_SECONDS:g}s")
    assert shortened != committed
    (folder / "alertmanager.yml").write_text(shortened)
    return path


class Loop:
    """faulty_loop.py in its own process."""

    def __init__(self, config: Path, iterations: int = 6) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "python"), os.environ.get("PYTHONPATH")]))}
        # Its log (finmon's alert records among them) goes to a file beside the config.
        with open(config.with_name("loop.log"), "w") as log:
            self.process = subprocess.Popen([sys.executable, str(LOOP), str(config), str(iterations)], env=env,
                                            stdout=subprocess.PIPE, stderr=log, text=True)

    def expect(self, word: str) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line.startswith(word), f"loop said {line!r}, expected {word!r}"
        return line

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


def firing_counts(path: Path, instance: str) -> Counter[str]:
    """How many firing notifications name each alert of ``instance``."""
    counts: Counter[str] = Counter()
    if not path.exists():
        return counts
    for line in path.read_text().splitlines():
        for alert in json.loads(line)["alerts"]:
            if alert["status"] == "firing" and alert["labels"].get("instance") == instance:
                counts[alert["labels"]["alertname"]] += 1
    return counts


def prometheus_sent(prometheus: str) -> float:
    with urllib.request.urlopen(f"{prometheus}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("prometheus_notifications_sent_total"))


@pytest.fixture
def sandbox_label(podman: PodmanService) -> Iterator[str]:
    """A label key only this test's containers carry, and one exited container with it:
    an orphan for the loop's container monitor."""
    with podman.own_label("finmon-sources") as key:
        podman.podman("run", "--label", key, SANDBOX_IMAGE, "true")
        yield key


@pytest.fixture
def busy_cpu() -> Iterator[None]:
    """A process spinning on one core for the test: high_cpu's input is the machine's real CPU
    over 0.5 s, which an idle machine can bring to 0% (no busy jiffy in the interval), below
    its clear level. Without it high_cpu resolves and fires again: two notifications."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait(timeout=10)


def test_each_alert_reaches_alertmanager_and_the_receiver_once_and_a_killed_loop_is_loop_down(
        tmp_path: Path, podman: PodmanService, sandbox_label: str, busy_cpu: None) -> None:
    port, prometheus_port, alertmanager_port, receiver_port = (free_port() for _ in range(4))
    alertmanager = f"http://127.0.0.1:{alertmanager_port}"
    config = write_config(tmp_path, port, alertmanager, sandbox_label, podman.base_url)
    notifications = tmp_path / "notifications.jsonl"
    instance = f"127.0.0.1:{port}"
    stack = Stack("--config", str(config), "--prometheus-port", str(prometheus_port),
                  "--alertmanager-port", str(alertmanager_port), "--receiver-port", str(receiver_port),
                  "--notifications", str(notifications), "--data-dir", str(tmp_path / "stack"))
    loop: Loop | None = None
    try:
        stack.wait_for_line(r"^finmon stack: running", timeout=90)
        prometheus = f"http://127.0.0.1:{prometheus_port}"
        # Prometheus' first notifications go to an Alertmanager it knows (else it drops them
        # and resends only after a minute).
        wait_for(lambda: http_json(f"{prometheus}/api/v1/alertmanagers")["data"]["activeAlertmanagers"],
                 timeout=30, message="Prometheus discovers the stack's Alertmanager")
        loop = Loop(config)
        assert loop.expect("ready") == f"ready {port}"
        loop.expect("iterated")

        def in_alertmanager() -> list[dict[str, Any]]:
            return list(http_json(f"{alertmanager}/api/v2/alerts?filter=" + urllib.request.quote(f'instance="{instance}"')))

        listed = wait_for(lambda: (found := in_alertmanager()) and {a["labels"]["alertname"] for a in found} >= set(IN_PROCESS)
                          and found, timeout=60, message="every in-process alert in Alertmanager")
        # Both sources fire them: finmon delivered each (its log, its counter)...
        def fired_in_log() -> set[str]:
            lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
            return {e["alert_type"] for e in map(json.loads, lines) if e["status"] == "firing"}

        wait_for(lambda: fired_in_log() >= set(IN_PROCESS), timeout=30, message="finmon firing every alert")
        # ...and Prometheus' rules over the same loop, sent to the same Alertmanager.
        wait_for(lambda: {a["labels"]["alertname"] for a in http_json(f"{prometheus}/api/v1/alerts")["data"]["alerts"]
                          if a["state"] == "firing" and a["labels"].get("instance") == instance} >= set(IN_PROCESS),
                 timeout=60, message="Prometheus firing every alert for the loop")
        sent = wait_for(lambda: (count := prometheus_sent(prometheus)) >= len(IN_PROCESS) and count, timeout=30,
                        message="Prometheus' notifications to Alertmanager")
        assert sent >= len(IN_PROCESS)
        wait_for(lambda: firing_counts(notifications, instance).keys() >= set(IN_PROCESS), timeout=60,
                 message="a notification for every alert at the receiver")
        # A copy with other labels would be a second alert, notified group_wait after it
        # arrived; by now both sources have posted (finmon re-sends every second): give the
        # last post that long, and finmon one more re-send.
        delivered = finmon_success(tmp_path)
        wait_for(lambda: finmon_success(tmp_path) > delivered, timeout=10, message="finmon re-sends its alerts")
        settled = time.monotonic() + 3 * GROUPING_SECONDS
        wait_for(lambda: time.monotonic() >= settled, timeout=10, message="one grouping period")

        listed = in_alertmanager()
        names = Counter(a["labels"]["alertname"] for a in listed)
        # One copy each, never two (busy_cpu keeps high_cpu's input above its clear level).
        assert {name: names[name] for name in IN_PROCESS} == {name: 1 for name in IN_PROCESS}, names
        for alert in listed:
            name = alert["labels"]["alertname"]
            assert alert["labels"] == {"alertname": name, "alert_type": name, "job": "finmon", "instance": instance,
                                       "severity": alert["labels"]["severity"]}
        counts = firing_counts(notifications, instance)
        assert {name: counts[name] for name in IN_PROCESS} == {name: 1 for name in IN_PROCESS}, counts
        assert "loop_down" not in counts

        # A crash: nothing of finmon's resolves anything; Prometheus sees the target down.
        loop.process.send_signal(signal.SIGKILL)
        assert loop.process.wait(timeout=30) == -signal.SIGKILL
        wait_for(lambda: firing_counts(notifications, instance)["loop_down"] >= 1, timeout=90,
                 message="loop_down at the receiver")
        down = [a for a in in_alertmanager() if a["labels"]["alertname"] == "loop_down"]
        assert len(down) == 1 and down[0]["labels"]["severity"] == "critical"
        assert firing_counts(notifications, instance)["loop_down"] == 1
        stack.wait_for_line(r"FIRING loop_down critical " + instance.replace(".", r"\."), timeout=30)
    finally:
        if loop is not None:
            loop.close()
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(timeout=60)
        finally:
            stack.close()
    assert stack.process.returncode == 0, stack.rest()
    assert "Notify for alerts failed" not in (tmp_path / "stack" / "alertmanager.log").read_text()


def finmon_success(folder: Path) -> float:
    """finmon's successful posts to Alertmanager, from the loop's own /metrics."""
    config = finmon.MonitoringConfig.from_yaml(folder / "monitoring_config.yaml")
    port = config.monitoring.prometheus.port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith('alert_notifications_total{receiver="alertmanager",result="success"}'))


def test_a_clean_stop_resolves_the_firing_alerts_at_alertmanager_at_once(
        alertmanager: AlertmanagerServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tag = uuid.uuid4().hex
    config = finmon.MonitoringConfig.defaults().replace({
        "monitoring.prometheus.port": 0, "monitoring.container_monitor.enabled": False,
        "monitoring.resource_monitor.collection_interval": 0.2,
        "monitoring.alerts.evaluation_interval": 0.2,
        **{f"monitoring.alerts.for_seconds.{name}": 0 for name in NO_HOLD_DOWN},
        "monitoring.alerts.memory_threshold_percent": 1, "monitoring.alerts.cpu_threshold_percent": 0.01,
        "monitoring.alerts.alertmanager.url": alertmanager.url, "monitoring.alerts.alertmanager.labels": {"test": tag},
        "monitoring.alerts.log_file": str(tmp_path / "alerts.jsonl"), "monitoring.export.directory": str(tmp_path),
    })
    path = tmp_path / "monitoring_config.yaml"
    path.write_text(config.to_text())
    runtime = finmon.start(path)
    try:
        alertmanager.wait_for(
            lambda: {a["labels"]["alertname"] for a in alertmanager.alerts(filter=[f'test="{tag}"'])}
            >= {"high_memory", "high_cpu"}, timeout=30, message="the firing alerts in Alertmanager")
        # Port 0: the instance label is the port the exporter picked, as Prometheus names it.
        instances = {a["labels"]["instance"] for a in alertmanager.alerts(filter=[f'test="{tag}"'])}
        assert instances == {f"127.0.0.1:{runtime.port}"}
    finally:
        with caplog.at_level(logging.INFO, logger="finmon"):
            runtime.stop()
            stopped = time.monotonic()
    # Resolved at Alertmanager by the time stop() returned: its API no longer lists them
    # (a deadline of seconds, not their endsAt minutes away).
    alertmanager.wait_for(lambda: alertmanager.alerts(filter=[f'test="{tag}"']) == [], timeout=5,
                          message="the resolved alerts leaving Alertmanager")
    assert time.monotonic() - stopped < 5
    said = [r.getMessage() for r in caplog.records if r.name == "finmon" and r.getMessage().startswith("stop:")]
    assert len(said) == 1 and said[0].startswith("stop: resolved firing alert(s) high_memory, high_cpu")
    assert said[0].endswith(f"at Alertmanager {alertmanager.url}")
