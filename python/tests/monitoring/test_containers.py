"""ContainerMonitor through the shim, without an engine: arguments, local bookkeeping,
and what happens when the engine cannot be reached (a socket path nothing listens on).
The real engine is exercised in tests/integration/test_containers.py."""

from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest

import finmon
from finmon.containers import endpoint_of


@pytest.fixture
def nowhere() -> Any:
    """A unix socket path in a fresh folder: connecting fails at once (no such file)."""
    with tempfile.TemporaryDirectory(prefix="finmon-nowhere-") as folder:
        yield f"unix://{Path(folder) / 'engine.sock'}"


def errors(collector: finmon.MetricsCollector) -> float:
    return collector.get_sample_value("finmon_collection_errors_total", {"collector": "docker"}) or 0.0


def wait_until(predicate: Any, timeout: float = 10.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.02)


def test_hooks_track_count_and_clean_up_locally(collector: finmon.MetricsCollector, nowhere: str) -> None:
    monitor = finmon.ContainerMonitor(collector, docker_host=nowhere)
    monitor.record_container_created("a1")
    monitor.record_container_stats("b2")  # an id not seen before is tracked too
    assert collector.get_sample_value("active_containers") == 2
    assert monitor.get_status()["tracked_containers"] == 2

    monitor.record_container_cleanup("a1", success=True)
    monitor.record_container_cleanup("b2", success=False)
    assert collector.get_sample_value("active_containers") == 0
    assert collector.get_sample_value("container_cleanup_success_total") == 1
    assert collector.get_sample_value("container_cleanup_failure_total") == 1


def test_an_unreachable_engine_is_counted_and_warned_about_once(
        collector: finmon.MetricsCollector, nowhere: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="finmon")
    monitor = finmon.ContainerMonitor(collector, docker_host=nowhere)
    for _ in range(3):
        monitor.record_container_stats("c1")
        assert wait_until(lambda: monitor.get_status()["queries_in_flight"] == 0)
    assert errors(collector) == 3
    status = monitor.get_status()
    assert status["engine_failing"] is True
    assert "cannot connect" in status["last_error"]
    assert wait_until(lambda: [r for r in caplog.records if "Container metrics unavailable" in r.getMessage()])
    assert len([r for r in caplog.records if "Container metrics unavailable" in r.getMessage()]) == 1

    with pytest.raises(finmon.FinmonIOError, match="cannot connect"):
        monitor.scan_orphaned_containers()
    with pytest.raises(finmon.FinmonIOError):
        monitor.cleanup_orphaned_containers()
    with pytest.raises(finmon.FinmonIOError):
        monitor.remove_container("c1")
    assert errors(collector) == 6
    assert collector.get_sample_value("container_cleanup_failure_total") == 1
    assert collector.get_sample_value("active_containers") == 0


def test_track_without_removal_records_the_block_outcome(collector: finmon.MetricsCollector, nowhere: str) -> None:
    monitor = finmon.ContainerMonitor(collector, docker_host=nowhere)

    class Container:  # what docker-py's Container offers the monitor
        id = "d4"

    with monitor.track(Container(), remove=False) as tracked:
        assert tracked.id == "d4"
        assert collector.get_sample_value("active_containers") == 1
        tracked.stats()
    with pytest.raises(ValueError):
        with monitor.track("e5", remove=False):
            raise ValueError("strategy failed")
    assert collector.get_sample_value("container_cleanup_success_total") == 1
    assert collector.get_sample_value("container_cleanup_failure_total") == 1
    assert collector.get_sample_value("active_containers") == 0


def test_track_with_removal_on_an_unreachable_engine_logs_and_goes_on(
        collector: finmon.MetricsCollector, nowhere: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="finmon")
    monitor = finmon.ContainerMonitor(collector, docker_host=nowhere)
    with monitor.track("f6") as tracked:
        pass
    assert tracked.removed is None
    assert collector.get_sample_value("container_cleanup_failure_total") == 1
    assert any("could not remove sandbox container f6" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("bad", ["", "-x", "a/b", "a b", "é", "x" * 129, "a\0b"])
def test_invalid_container_ids_are_refused_and_change_nothing_when_strict(
        collector: finmon.MetricsCollector, nowhere: str, bad: str) -> None:
    collector.strict = True
    monitor = finmon.ContainerMonitor(collector, docker_host=nowhere)
    for call in (monitor.record_container_created, monitor.record_container_stats, monitor.remove_container):
        with pytest.raises(finmon.InvalidArgumentError):
            call(bad)
    with pytest.raises(finmon.InvalidArgumentError):
        monitor.record_container_cleanup(bad, success=True)
    assert collector.get_sample_value("active_containers") == 0
    assert collector.get_sample_value("container_cleanup_success_total") == 0


@pytest.mark.parametrize("bad", [None, 7, b"bytes", object()])
def test_container_ids_must_be_text(collector: finmon.MetricsCollector, nowhere: str, bad: object) -> None:
    monitor = finmon.ContainerMonitor(collector, docker_host=nowhere)
    with pytest.raises(TypeError):
        monitor.record_container_created(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs, error", [
    ({"label": ""}, finmon.InvalidArgumentError),
    ({"label": "=v"}, finmon.InvalidArgumentError),
    ({"orphan_statuses": []}, None),  # empty: the defaults
    ({"orphan_statuses": ["ex ited"]}, finmon.InvalidArgumentError),
    ({"orphan_statuses": "exited"}, TypeError),
    ({"request_timeout": 0}, finmon.InvalidArgumentError),
    ({"request_timeout": math.nan}, finmon.InvalidArgumentError),
    ({"request_timeout": "2"}, TypeError),
    ({"orphan_threshold": 0}, finmon.InvalidArgumentError),
    ({"orphan_threshold": 2**40}, finmon.InvalidArgumentError),
    ({"orphan_threshold": 1.5}, TypeError),
    ({"docker_host": "ssh://user@host"}, finmon.InvalidArgumentError),
    ({"docker_host": "unix://relative"}, finmon.InvalidArgumentError),
])
def test_settings_are_checked(collector: finmon.MetricsCollector, kwargs: dict[str, Any],
                              error: type[Exception] | None) -> None:
    kwargs.setdefault("docker_host", "unix:///nonexistent/engine.sock")
    if error is None:
        finmon.ContainerMonitor(collector, **kwargs)
    else:
        with pytest.raises(error):
            finmon.ContainerMonitor(collector, **kwargs)


def test_settings_reach_the_library(collector: finmon.MetricsCollector) -> None:
    monitor = finmon.ContainerMonitor(collector, docker_host="unix:///run/engine.sock", label="sandbox=yes")
    status = monitor.get_status()
    assert status["endpoint"] == "unix:///run/engine.sock"
    assert status["label"] == "sandbox=yes"
    assert status["polling"] is False
    assert status["orphaned_containers"] is None


def test_polling_starts_and_stops(collector: finmon.MetricsCollector, nowhere: str) -> None:
    monitor = finmon.ContainerMonitor(collector, docker_host=nowhere)
    monitor.start_polling(interval_seconds=0.05)
    assert monitor.get_status()["polling"] is True
    assert monitor.get_status()["poll_interval_seconds"] == 0.05
    # Every cycle fails to list (no engine): one error each, and cycles still complete.
    assert wait_until(lambda: monitor.get_status()["cycles_completed"] >= 2)
    monitor.stop_polling()
    assert monitor.get_status()["polling"] is False
    assert errors(collector) >= 2
    for bad in (0, -1, math.inf, math.nan, 10**6):
        with pytest.raises(finmon.InvalidArgumentError):
            monitor.start_polling(bad)
    with pytest.raises(TypeError):
        monitor.start_polling("10")  # type: ignore[arg-type]


def test_stop_cancels_polling_and_hooks_start_the_threads_again(collector: finmon.MetricsCollector,
                                                               nowhere: str) -> None:
    monitor = finmon.ContainerMonitor(collector, docker_host=nowhere)
    monitor.start_polling(interval_seconds=30)
    collector.stop()
    assert monitor.get_status()["polling"] is False
    monitor.record_container_stats("g7")
    assert wait_until(lambda: errors(collector) >= 1)


def test_a_closed_collector_is_refused(nowhere: str) -> None:
    collector = finmon.MetricsCollector()
    monitor = finmon.ContainerMonitor(collector, docker_host=nowhere)
    collector.close()
    with pytest.raises(finmon.InvalidHandleError):
        monitor.record_container_created("h8")
    with pytest.raises(finmon.InvalidHandleError):
        monitor.scan_orphaned_containers()


def test_endpoint_of_docker_py_clients() -> None:
    import docker

    client = docker.DockerClient(base_url="unix:///run/some/engine.sock", version="1.41")
    try:
        assert endpoint_of(client) == "unix:///run/some/engine.sock"
        assert endpoint_of(client.api) == "unix:///run/some/engine.sock"
    finally:
        client.close()
    tcp = docker.DockerClient(base_url="tcp://127.0.0.1:2375", version="1.41")
    try:
        assert endpoint_of(tcp) == "http://127.0.0.1:2375"
    finally:
        tcp.close()
    assert endpoint_of(None) is None
    with pytest.raises(TypeError):
        endpoint_of(object())


def test_a_docker_client_without_its_socket_path_falls_back_to_the_local_socket(
        collector: finmon.MetricsCollector, monkeypatch: pytest.MonkeyPatch) -> None:
    class API:
        base_url = "http+docker://localhost"

    class Client:
        api = API()

    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monitor = finmon.ContainerMonitor(collector, Client())
    assert monitor.get_status()["endpoint"] == "unix:///var/run/docker.sock"
