"""The real-server fixtures work: Prometheus scrapes and alerts, Alertmanager
receives alerts and restarts, podman runs the sandbox image via docker-py."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from servers import (
    SANDBOX_IMAGE,
    SANDBOX_LABEL,
    AlertmanagerServer,
    PodmanService,
    PrometheusServer,
    wait_for,
)

EXPOSITION = (
    b"# HELP finlab_infra_probe A constant for the fixture test.\n"
    b"# TYPE finlab_infra_probe gauge\n"
    b"finlab_infra_probe 42\n"
)


class _StaticExposition(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 -- http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(EXPOSITION)))
        self.end_headers()
        self.wfile.write(EXPOSITION)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def static_target() -> Iterator[str]:
    """A ``host:port`` serving a fixed text exposition on /metrics."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StaticExposition)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _value(result: list[Any]) -> float | None:
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_a_target(
    prometheus_factory: Callable[..., PrometheusServer], static_target: str
) -> None:
    prom = prometheus_factory([static_target])
    prom.wait_for(lambda: _value(prom.query('up{job="finmon"}')) == 1.0, timeout=15, message="up == 1")
    assert _value(prom.query("finlab_infra_probe")) == 42.0
    (target,) = prom.targets()
    assert target["health"] == "up"
    assert target["labels"]["instance"] == static_target


def test_prometheus_rule_alert_reaches_alertmanager(
    prometheus_factory: Callable[..., PrometheusServer],
    alertmanager: AlertmanagerServer,
    static_target: str,
    tmp_path: Path,
) -> None:
    test_id = uuid.uuid4().hex
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "groups:\n"
        "  - name: infra\n"
        "    rules:\n"
        "      - alert: InfraProbeHigh\n"
        "        expr: finlab_infra_probe > 10\n"
        f"        labels: {{test_id: '{test_id}'}}\n"
    )
    prom = prometheus_factory([static_target], rule_files=[rules], alertmanager_url=alertmanager.url)
    firing = prom.wait_for(
        lambda: [a for a in prom.alerts() if a["labels"].get("test_id") == test_id and a["state"] == "firing"],
        timeout=15,
        message="rule alert firing in Prometheus",
    )
    assert firing[0]["labels"]["alertname"] == "InfraProbeHigh"
    received = alertmanager.wait_for(
        lambda: alertmanager.alerts(filter=[f'test_id="{test_id}"']),
        timeout=15,
        message="alert received by Alertmanager",
    )
    assert received[0]["labels"]["alertname"] == "InfraProbeHigh"


def test_alertmanager_lists_posted_alert_but_not_resolved_ones(alertmanager: AlertmanagerServer) -> None:
    test_id = uuid.uuid4().hex
    now = dt.datetime.now(dt.timezone.utc)
    alertmanager.post_alerts(
        [
            {"labels": {"alertname": "InfraActive", "test_id": test_id}, "annotations": {"summary": "x"}},
            {
                "labels": {"alertname": "InfraResolved", "test_id": test_id},
                "startsAt": (now - dt.timedelta(minutes=5)).isoformat(),
                "endsAt": (now - dt.timedelta(minutes=1)).isoformat(),
            },
        ]
    )
    listed = alertmanager.alerts(filter=[f'test_id="{test_id}"'])
    assert [a["labels"]["alertname"] for a in listed] == ["InfraActive"]
    assert listed[0]["status"]["state"] == "active"
    assert listed[0]["annotations"] == {"summary": "x"}
    # The v2 API drops resolved alerts whatever the state filters say.
    everything = alertmanager.alerts(
        active=True, silenced=True, inhibited=True, unprocessed=True, filter=[f'test_id="{test_id}"']
    )
    assert "InfraResolved" not in {a["labels"]["alertname"] for a in everything}


def test_alertmanager_comes_back_on_the_same_port(alertmanager: AlertmanagerServer) -> None:
    url, pid = alertmanager.url, alertmanager.pid
    alertmanager.stop()
    try:
        assert not alertmanager.running
        with pytest.raises(OSError):
            alertmanager.alerts()
    finally:
        alertmanager.start()
    assert alertmanager.url == url
    assert alertmanager.pid != pid
    assert alertmanager.status()["versionInfo"]["version"]


def test_podman_runs_and_removes_a_sandbox_container(podman: PodmanService) -> None:
    client = podman.docker_client()
    container = client.containers.run(
        SANDBOX_IMAGE, ["sleep", "30"], labels={SANDBOX_LABEL: "true"}, detach=True
    )
    try:
        listed = client.containers.list(filters={"label": SANDBOX_LABEL})
        assert container.id in {c.id for c in listed}
        container.reload()
        assert container.status == "running"
        assert container.labels[SANDBOX_LABEL] == "true"
    finally:
        container.remove(force=True)
    remaining = client.containers.list(all=True, filters={"label": SANDBOX_LABEL})
    assert container.id not in {c.id for c in remaining}


def test_podman_engine_down_then_back(podman: PodmanService) -> None:
    client = podman.docker_client()
    assert client.ping()
    podman.stop()
    try:
        assert not podman.running
        # Not docker-py while down: its unix transport leaks the socket of a
        # failed connect (a ResourceWarning), so probe with our own GET.
        assert not podman.ping()
    finally:
        podman.start()
    assert podman.ping()
    # The client made before the restart reconnects.
    assert wait_for(client.ping, timeout=5, message="docker-py ping after restart")
