"""The exporter's limits on loopback: a cap on connections (the one waiting longest for a
request makes room, so idle clients cannot lock out a scrape), a read timeout for a
request that never completes (slowloris), an idle timeout between keep-alive requests;
each closure counted by reason. Every wait is a condition with a deadline."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from scrape import get, wait_for

import finmon


def rejected(collector: finmon.MetricsCollector, reason: str) -> float:
    return collector.get_sample_value("finmon_exporter_connections_rejected_total", {"reason": reason}) or 0.0


def closed_by_server(sock: socket.socket, timeout: float = 10.0) -> bool:
    """True once the server closed ``sock`` (EOF or reset) within ``timeout``."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_a_request_that_never_completes_is_closed_after_the_read_timeout(collector: finmon.MetricsCollector) -> None:
    port = collector.start_http_server(port=0, read_timeout_seconds=0.3, idle_timeout_seconds=30)
    assert port
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
    silent = socket.create_connection(("127.0.0.1", port))  # nothing at all
    start = time.monotonic()
    assert closed_by_server(slow) and closed_by_server(silent)
    assert time.monotonic() - start < 10
    assert wait_for(lambda: rejected(collector, "read_timeout") == 2.0 or None)
    assert get(port)[0] == 200


def test_a_keep_alive_connection_is_closed_after_the_idle_timeout(collector: finmon.MetricsCollector) -> None:
    port = collector.start_http_server(port=0, read_timeout_seconds=5, idle_timeout_seconds=0.3)
    assert port
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    conn.settimeout(5)
    assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    assert closed_by_server(conn)
    assert wait_for(lambda: rejected(collector, "idle_timeout") == 1.0 or None)
    assert rejected(collector, "read_timeout") == 0.0


def test_past_the_cap_the_longest_waiting_connection_makes_room(collector: finmon.MetricsCollector) -> None:
    port = collector.start_http_server(port=0, max_connections=4, read_timeout_seconds=60, idle_timeout_seconds=60)
    assert port
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    time.sleep(0.05)  # ordering only: the four are older than what follows
    extra = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    # The three oldest idle connections were closed for the three new ones.
    assert [closed_by_server(sock, timeout=5) for sock in idle[:3]] == [True, True, True]
    assert wait_for(lambda: rejected(collector, "connection_limit") == 3.0 or None)
    # A scrape still gets through the full table, at once.
    status, _, body = get(port, timeout=1.0)
    assert status == 200 and b"finmon_exporter_connections_rejected_total" in body
    for sock in idle + extra:
        sock.close()


def test_limits_out_of_range_name_the_argument_and_start_nothing(collector: finmon.MetricsCollector) -> None:
    cases = [({"max_connections": 0}, r"max_connections must be an integer in \[1, 65536\], got 0"),
             ({"read_timeout_seconds": 0.01}, r"read_timeout_seconds must be a number of seconds in \[0.1, 300\]"),
             ({"idle_timeout_seconds": float("inf")}, r"idle_timeout_seconds must be a number of seconds in \[0.1, 3600\]")]
    for kwargs, message in cases:
        with pytest.raises(finmon.InvalidArgumentError, match=message):
            collector.start_http_server(port=0, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="max_connections must be an int"):
        collector.start_http_server(port=0, max_connections=1.5)  # type: ignore[arg-type]
    assert collector.exporter_port is None


def test_the_config_keys_reach_the_exporter(tmp_path: Path) -> None:
    config = tmp_path / "monitoring_config.yaml"
    config.write_text("monitoring:\n"
                      "  prometheus: {port: 0, read_timeout_seconds: 0.3, max_connections: 8}\n"
                      "  resource_monitor: {enabled: false}\n  container_monitor: {enabled: false}\n"
                      "  alerts: {enabled: false}\n  export: {enabled: false}\n")
    runtime = finmon.start(config)
    try:
        assert runtime.port and runtime.collector is not None
        collector = runtime.collector
        silent = socket.create_connection(("127.0.0.1", runtime.port))
        assert closed_by_server(silent)
        assert wait_for(lambda: rejected(collector, "read_timeout") == 1.0 or None)
    finally:
        runtime.stop()
