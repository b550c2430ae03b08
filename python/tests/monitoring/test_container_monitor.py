"""The original design's "ContainerMonitor Tests" (tests/monitoring/test_container_monitor.py),
one test per item of its list, with its class and method names. The design mocks the
Docker client; these run against a real engine (podman's API service), and the first also
shows the test writer's one-line equivalent, finmon.testing.FakeEngine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrape import wait_for
from servers import PodmanService

import finmon
from finmon.testing import FakeContainer, FakeEngine


def test_mock_docker_client_container_stats_collection(collector: finmon.MetricsCollector, client: Any,
                                                       label: str, sandboxes: Callable[..., Any],
                                                       tmp_path: Path) -> None:
    """Mock Docker client, test container stats collection: record_container_stats sets the
    container's memory and, from its second sample, CPU; against a real engine, and against
    the fake one a loop's own tests would use."""
    monitor = finmon.ContainerMonitor(collector, client, label=label)
    sandbox = sandboxes(["sh", "-c", "dd if=/dev/zero of=/dev/null bs=1M & sleep 600"])
    monitor.record_container_created(sandbox.id)
    memory = lambda cid: collector.get_sample_value("container_memory_usage_bytes", {"container_id": cid})  # noqa: E731
    cpu = lambda cid: collector.get_sample_value("container_cpu_usage_percent", {"container_id": cid})  # noqa: E731
    wait_for(lambda: memory(sandbox.id), message="the first stats sample")
    wait_for(lambda: (monitor.record_container_stats(sandbox.id), cpu(sandbox.id))[1] is not None,
             message="a CPU figure from the second sample")
    assert (memory(sandbox.id) or 0) > 0

    with finmon.MetricsCollector() as other, FakeEngine(tmp_path, [FakeContainer("fake1", memory_bytes=64 << 20,
                                                                                 cpu_percent=40)]) as engine:
        fake = finmon.ContainerMonitor(other, docker_host=engine.url)
        fake.record_container_created("fake1")
        wait_for(lambda: other.get_sample_value("container_memory_usage_bytes", {"container_id": "fake1"}),
                 message="the fake engine's stats")
        assert other.get_sample_value("container_memory_usage_bytes", {"container_id": "fake1"}) == 64 << 20
        wait_for(lambda: (fake.record_container_stats("fake1"),
                          other.get_sample_value("container_cpu_usage_percent", {"container_id": "fake1"}))[1] == 40,
                 message="the fake engine's CPU figure")


def test_orphaned_container_detection(collector: finmon.MetricsCollector, client: Any, label: str,
                                      sandboxes: Callable[..., Any]) -> None:
    """Test orphaned container detection: labelled containers that exited are orphans."""
    monitor = finmon.ContainerMonitor(collector, client, label=label)
    running = sandboxes(["sleep", "600"])
    exited = sandboxes(["true"])
    exited.wait(timeout=30)
    assert monitor.scan_orphaned_containers() == [exited.id]
    assert collector.get_sample_value("orphaned_containers") == 1
    assert running.id not in monitor.scan_orphaned_containers()


def test_cleanup_success_failure_tracking(collector: finmon.MetricsCollector, client: Any, label: str,
                                          sandboxes: Callable[..., Any], podman: PodmanService) -> None:
    """Test cleanup success/failure tracking: a removal that worked and one that did not,
    each counted, and active_containers back down."""
    monitor = finmon.ContainerMonitor(collector, client, label=label)
    first = sandboxes(["sleep", "600"])
    second = sandboxes(["sleep", "600"])
    with monitor.track(first) as tracked:
        monitor.record_container_created(second.id)
        assert collector.get_sample_value("active_containers") == 2
    assert tracked.removed is True
    assert first.id not in {c.id for c in client.containers.list(all=True, filters={"label": label})}
    monitor.record_container_cleanup(second.id, success=False)  # the loop could not remove it
    assert collector.get_sample_value("container_cleanup_success_total") == 1
    assert collector.get_sample_value("container_cleanup_failure_total") == 1
    assert collector.get_sample_value("active_containers") == 0
