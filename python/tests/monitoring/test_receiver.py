"""finmon.receiver: the alert receiver the stack runs (a real HTTP server on loopback):
each notification is appended to its file as one JSON line and each alert printed on one
line; what is not a notification is refused without writing; stop releases the port."""

from __future__ import annotations

import doctest
import io
import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from scrape import wait_for

from finmon import receiver
from finmon.receiver import AlertReceiver

NOTIFICATION = {
    "receiver": "finmon-receiver", "status": "firing", "groupLabels": {"alertname": "high_memory"},
    "alerts": [
        {"status": "firing", "labels": {"alertname": "high_memory", "severity": "critical", "instance": "loop-a"},
         "annotations": {"summary": "High memory usage", "description": "Memory usage 85.0% is above 80%"}},
        {"status": "resolved", "labels": {"alertname": "loop_stuck"}, "annotations": {"summary": "Loop is stuck"}},
    ],
}


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_notification_is_appended_and_each_alert_printed(tmp_path: Path) -> None:
    out = io.StringIO()
    path = tmp_path / "notifications.jsonl"
    with AlertReceiver(port=0, path=path, out=out) as running:
        assert running.url == f"http://127.0.0.1:{running.port}/alerts"
        assert post(running.url, json.dumps(NOTIFICATION).encode()) == 200
        assert post(running.url, json.dumps({"status": "resolved", "alerts": []}).encode()) == 200
        assert running.notifications() == [NOTIFICATION, {"status": "resolved", "alerts": []}]
    assert [json.loads(line) for line in path.read_text().splitlines()] == running.notifications()
    lines = out.getvalue().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        "FIRING high_memory critical loop-a - Memory usage 85.0% is above 80%",
        "RESOLVED loop_stuck - - - Loop is stuck",
    ]


@pytest.mark.parametrize(("body", "status"), [(b"not json", 400), (b"[1, 2]", 400), (b"", 400)])
def test_what_is_not_a_notification_is_refused_and_not_written(tmp_path: Path, body: bytes, status: int) -> None:
    path = tmp_path / "notifications.jsonl"
    with AlertReceiver(port=0, path=path, out=io.StringIO()) as running:
        assert post(running.url, body) == status
        assert running.notifications() == []
    assert not path.exists()


def test_an_oversized_body_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(receiver, "MAX_BODY_BYTES", 10)
    with AlertReceiver(port=0, path=None, out=io.StringIO()) as running:
        assert post(running.url, json.dumps(NOTIFICATION).encode()) == 413
        assert running.notifications() == []


def test_only_the_newest_notifications_are_kept_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(receiver, "KEPT", 2)
    with AlertReceiver(port=0, path=None, out=io.StringIO()) as running:
        for index in range(3):
            assert post(running.url, json.dumps({"n": index, "alerts": []}).encode()) == 200
        assert [n["n"] for n in running.notifications()] == [1, 2]


def test_stop_releases_the_port_and_a_busy_port_raises() -> None:
    first = AlertReceiver(port=0, path=None, out=io.StringIO()).start()
    port = first.port
    with pytest.raises(OSError):
        AlertReceiver(port=port, path=None, out=io.StringIO()).start()
    first.stop()
    first.stop()  # twice: nothing left to stop
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_command_serves_until_interrupted(tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    path = tmp_path / "n.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "finmon", "receiver", "--port", str(port), "--file", str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(f"finmon receiver: http://127.0.0.1:{port}/alerts")
        assert post(f"http://127.0.0.1:{port}/alerts", json.dumps(NOTIFICATION).encode()) == 200
        wait_for(lambda: path.exists() and path.read_text(), timeout=10, message="the notification in the file")
        assert "FIRING high_memory" in process.stdout.readline()
    finally:
        process.send_signal(2)  # SIGINT, as Ctrl-C
        assert process.wait(timeout=30) == 0


def test_the_command_says_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "finmon", "receiver", "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"finmon receiver: cannot listen on 127.0.0.1:{port}" in result.stderr


def test_module_examples() -> None:
    result = doctest.testmod(receiver)
    assert result.attempted >= 4 and result.failed == 0


def summary(alert: dict[str, Any]) -> str:
    return AlertReceiver.summary(alert).split(" ", 1)[1]


def test_a_summary_names_what_it_has() -> None:
    assert summary({}) == "? ? - -"
    assert summary({"status": "firing", "labels": {"alertname": "x"}, "annotations": {"summary": "S"}}) == "FIRING x - - - S"
