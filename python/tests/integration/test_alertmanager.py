"""finmon's alert delivery against real receivers: the real Alertmanager (API v2) and a
small real HTTP server as a webhook. An outage of the receiver loses nothing: the alert
is in the JSON log at once and reaches the receiver once it is back.

Alertmanager's API never lists resolved alerts, so a resolve is seen as the alert
leaving the list (see servers.py)."""

from __future__ import annotations

import http.server
import json
import logging
import re
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import AlertmanagerServer, wait_for

import finmon
from finmon.testing import NO_HOLD_DOWN

REPO = Path(__file__).resolve().parents[3]
EXAMPLE_CONFIG = REPO / "config" / "alertmanager.yml"


class CapturingServer:
    """A real HTTP server on 127.0.0.1 that records each POST body (JSON) and answers
    with the status codes given, then 200 for the rest."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.bodies: list[Any] = []
        self.paths: list[str] = []
        self._statuses = list(statuses or [])
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with outer._lock:
                    status = outer._statuses.pop(0) if outer._statuses else 200
                    if status == 200:
                        outer.bodies.append(json.loads(body))
                        outer.paths.append(self.path)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- quiet
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def received(self) -> list[Any]:
        with self._lock:
            return list(self.bodies)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def capture() -> Iterator[CapturingServer]:
    server = CapturingServer()
    try:
        yield server
    finally:
        server.close()


def test_alertmanager_receives_a_firing_alert_then_its_resolution(alertmanager: AlertmanagerServer,
                                                                   tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    config = finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(tmp_path / "alerts.jsonl"),
                                alertmanager_url=alertmanager.url, alertmanager_labels={"test": tag})
    with finmon.AlertManager(config) as manager:
        manager.inject_snapshot(memory_percent=91.5, iteration=7)
        fired = manager.evaluate_alerts()
        assert [a.alert_type for a in fired] == ["high_memory"]
        listed = alertmanager.wait_for(lambda: alertmanager.alerts(filter=[f'test="{tag}"']), timeout=15,
                                       message="the firing alert in Alertmanager")
        assert len(listed) == 1
        alert = listed[0]
        # The labels Prometheus gives the same alert: the scrape target's job and instance.
        assert alert["labels"] == {"alertname": "high_memory", "alert_type": "high_memory", "severity": "critical",
                                   "job": "finmon", "instance": "127.0.0.1:8000", "test": tag}
        assert alert["annotations"]["summary"] == "High memory usage"
        assert alert["annotations"]["description"] == "Memory usage 91.5% is above 80%"
        assert alert["annotations"]["iteration"] == "7"
        assert alert["status"]["state"] == "active"
        assert alert["startsAt"].startswith(fired[0].starts_at[:19])

        manager.inject_snapshot(memory_percent=40)
        assert [a.status for a in manager.evaluate()] == ["resolved"]
        alertmanager.wait_for(lambda: alertmanager.alerts(filter=[f'test="{tag}"']) == [], timeout=15,
                              message="the resolved alert leaving Alertmanager's list")
        wait_for(lambda: manager.delivery_status()["alertmanager_pending"] == 0, timeout=10)
        counted = manager.collector.get_sample_value(
            "alert_notifications_total", {"receiver": "alertmanager", "result": "success"})
        assert counted is not None and counted >= 2


def test_alerts_outlive_an_alertmanager_outage(alertmanager: AlertmanagerServer, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    tag = uuid.uuid4().hex
    log = tmp_path / "alerts.jsonl"
    config = finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(log), alertmanager_url=alertmanager.url,
                                alertmanager_labels={"test": tag})
    with finmon.AlertManager(config) as manager, caplog.at_level(logging.WARNING, logger="finmon"):
        alertmanager.stop()
        try:
            manager.inject_snapshot(orphaned_containers=6)
            fired = manager.evaluate_alerts()
            # On disk at once, whatever the receiver does.
            assert [json.loads(line) for line in log.read_text().splitlines()] == [fired[0].to_dict()]
            wait_for(lambda: manager.delivery_status()["alertmanager_down"], timeout=10,
                     message="the failed delivery")
            failures = manager.collector.get_sample_value(
                "alert_notifications_total", {"receiver": "alertmanager", "result": "failure"})
            assert failures is not None and failures >= 1
            wait_for(lambda: any("unreachable" in r.getMessage() for r in caplog.records if r.name == "finmon"),
                     timeout=10, message="the outage warning")
        finally:
            alertmanager.start()
        listed = alertmanager.wait_for(lambda: alertmanager.alerts(filter=[f'test="{tag}"']), timeout=30,
                                       message="the retried alert reaching Alertmanager")
        assert listed[0]["labels"]["alertname"] == "orphaned_containers"
        assert not manager.delivery_status()["alertmanager_down"]
        outage_warnings = [r for r in caplog.records if r.name == "finmon" and "unreachable" in r.getMessage()]
        assert len(outage_warnings) == 1  # once per outage, however many retries failed
        manager.inject_snapshot(orphaned_containers=0)
        manager.evaluate()
        alertmanager.wait_for(lambda: alertmanager.alerts(filter=[f'test="{tag}"']) == [], timeout=15,
                              message="the resolve")


def test_the_webhook_receives_each_event_and_a_failed_post_is_retried(tmp_path: Path) -> None:
    server = CapturingServer(statuses=[500])  # the first post fails
    try:
        log = tmp_path / "alerts.jsonl"
        config = finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(log), webhook_url=f"{server.url}/finmon")
        with finmon.AlertManager(config) as manager:
            manager.inject_snapshot(cpu_percent=97)
            manager.evaluate()
            manager.inject_snapshot(cpu_percent=12)
            manager.evaluate()
            wait_for(lambda: len(server.received()) == 2, timeout=20, message="both events at the webhook")
            lines = [json.loads(line) for line in log.read_text().splitlines()]
            assert server.received() == lines
            assert [body["status"] for body in server.received()] == ["firing", "resolved"]
            assert server.paths == ["/finmon", "/finmon"]
            sample = manager.collector.get_sample_value
            assert sample("alert_notifications_total", {"receiver": "webhook", "result": "failure"}) == 1
            assert sample("alert_notifications_total", {"receiver": "webhook", "result": "success"}) == 2
    finally:
        server.close()


def uncommented(text: str) -> str:
    """The example config with every commented-out setting switched on."""
    return re.sub(r"(?m)^(\s*)# (\s*(?:- )?[a-z_]+:.*)$", r"\1\2", text)


@pytest.mark.parametrize("variant", ["as committed", "every receiver switched on"])
def test_the_example_alertmanager_config_passes_amtool(tmp_path: Path, variant: str) -> None:
    text = EXAMPLE_CONFIG.read_text()
    if variant != "as committed":
        text = uncommented(text)
        assert "pagerduty_configs" in text and "- name: email" in text and "\n  slack_api_url" in text
    path = tmp_path / "alertmanager.yml"
    path.write_text(text)
    result = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_example_config_routes_finmon_alerts_to_its_webhook(capture: CapturingServer, tmp_path: Path) -> None:
    # The committed routing, with the webhook pointed at the capturing server and grouping
    # shortened so the test does not wait the production 10 s.
    text = EXAMPLE_CONFIG.read_text().replace("http://127.0.0.1:5001/alerts", f"{capture.url}/alerts")
    text = text.replace("group_wait: 10s", "group_wait: 1s").replace("group_interval: 1m", "group_interval: 1s")
    with AlertmanagerServer(config_text=text) as alertmanager:
        config = finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(tmp_path / "alerts.jsonl"), alertmanager_url=alertmanager.url)
        with finmon.AlertManager(config) as manager:
            manager.inject_snapshot(diversity=0.02)
            manager.evaluate()
            notification = wait_for(lambda: capture.received(), timeout=30,
                                    message="Alertmanager's webhook notification")[0]
            assert notification["receiver"] == "finmon-receiver"
            assert notification["status"] == "firing"
            assert notification["alerts"][0]["labels"]["alertname"] == "diversity_collapse"
            assert notification["alerts"][0]["labels"]["severity"] == "warning"
            assert capture.paths[0] == "/alerts"
