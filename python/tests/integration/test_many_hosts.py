"""Eight loops on eight "hosts" (network namespaces, 10.213.<i>.2 each), one real Prometheus
finding them through the file_sd file they announce themselves in: every target up with
its instance, run_id and host labels, each loop's values under its own instance; one loop
killed with SIGKILL: its target down and Prometheus' loop_down alert for that instance
only, the seven others still up. Fails (never skips) if the namespaces cannot be made."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netns import Hosts
from servers import PrometheusServer, wait_for

from finmon.config import render_rules

REPO_ROOT = Path(__file__).resolve().parents[3]
LOOPS = 8
PORT = 9100  # the same on every host: each has its own address
KILLED = 3

#: One loop: starts finmon as its config says, records values of its own (from its index),
#: prints its run id, then waits for a line on stdin before stopping.
LOOP = textwrap.dedent("""
    import sys, finmon
    index = int(sys.argv[2])
    runtime = finmon.start(sys.argv[1])
    runtime.record_iteration(100 + index, True, 0.1, sharpe=0.5 * index)
    runtime.record_diversity(100 + index, 0.1 * index, index + 1, 20)
    print(runtime.run_id, runtime.port, flush=True)
    sys.stdin.readline()
    runtime.stop()
""")


def loop_config(folder: Path, targets: Path, address: str) -> Path:
    config = {"monitoring": {
        "prometheus": {"address": address, "port": PORT, "file_sd_path": str(targets)},
        "resource_monitor": {"collection_interval": 1},
        "container_monitor": {"enabled": False},
        "alerts": {"log_file": None, "evaluation_interval": 1, "for_seconds": {"loop_down": 1}},
        "export": {"enabled": False},
    }}
    path = folder / f"loop-{address}.yaml"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    with Hosts(LOOPS) as made:  # NamespaceError (not root?) fails the test
        yield made


def value(prometheus: PrometheusServer, promql: str) -> dict[str, float]:
    """instance -> value of an instant query."""
    return {r["metric"]["instance"]: float(r["value"][1]) for r in prometheus.query(promql)}


def test_eight_hosts_are_discovered_through_file_sd_and_a_killed_one_is_loop_down(
        hosts: Hosts, tmp_path: Path, prometheus_factory: Any) -> None:
    targets = tmp_path / "targets.json"
    rules = tmp_path / "alert_rules.yml"
    rules.write_text(render_rules(loop_config(tmp_path, targets, "127.0.0.1")))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(
        filter(None, [str(REPO_ROOT / "python"), os.environ.get("PYTHONPATH")]))}
    loops: list[subprocess.Popen[str]] = []
    try:
        for index in range(LOOPS):
            config = loop_config(tmp_path, targets, hosts.address(index))
            loops.append(subprocess.Popen(
                hosts.command(index, sys.executable, "-c", LOOP, str(config), str(index)), env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        run_ids = {}
        for index, loop in enumerate(loops):
            assert loop.stdout is not None
            line = loop.stdout.readline().split()
            assert len(line) == 2 and line[1] == str(PORT), (line, loop.stdout.read() if loop.poll() else "")
            run_ids[f"{hosts.address(index)}:{PORT}"] = line[0]
        instances = set(run_ids)
        assert len(set(run_ids.values())) == LOOPS  # a run id of its own each
        announced = json.loads(targets.read_text())
        assert {entry["targets"][0] for entry in announced} == instances

        prometheus = prometheus_factory([], file_sd_files=[targets], rule_files=[rules])
        wait_for(lambda: value(prometheus, 'up{job="finmon"} == 1').keys() == instances, timeout=60,
                 message=f"all {LOOPS} targets up: {prometheus.targets()}")
        host = socket.gethostname()
        for target in prometheus.targets():
            labels = target["labels"]
            assert labels["run_id"] == run_ids[labels["instance"]] and labels["host"] == host, labels
            assert target["scrapeUrl"] == f"http://{labels['instance']}/metrics"
        # Each loop's values under its own instance, and nothing summed across them.
        expected = {f"{hosts.address(i)}:{PORT}": i for i in range(LOOPS)}
        assert value(prometheus, 'loop_iteration{job="finmon"}') == {k: 100.0 + i for k, i in expected.items()}
        assert value(prometheus, 'strategy_sharpe_ratio{job="finmon"}') == {k: 0.5 * i for k, i in expected.items()}
        assert value(prometheus, 'population_size{job="finmon"}') == {k: 20.0 for k in expected}
        for instance, run_id in run_ids.items():
            assert value(prometheus, f'loop_iteration{{run_id="{run_id}"}}') == {instance: expected[instance] + 100.0}

        killed = f"{hosts.address(KILLED)}:{PORT}"
        loops[KILLED].send_signal(signal.SIGKILL)
        assert loops[KILLED].wait(timeout=30) == -signal.SIGKILL
        assert killed in {entry["labels"]["instance"] for entry in json.loads(targets.read_text())}  # left behind
        wait_for(lambda: value(prometheus, 'up{job="finmon"} == 0').keys() == {killed}, timeout=60,
                 message=f"the killed loop's target down: {prometheus.targets()}")

        def loop_down() -> list[dict[str, Any]]:
            return [a for a in prometheus.alerts() if a["labels"]["alertname"] == "loop_down"]

        wait_for(lambda: any(a["state"] == "firing" for a in loop_down()), timeout=60,
                 message=f"loop_down firing: {prometheus.alerts()}")
        (alert,) = loop_down()
        assert alert["labels"]["instance"] == killed and alert["labels"]["run_id"] == run_ids[killed]
        assert value(prometheus, 'up{job="finmon"} == 1').keys() == instances - {killed}

        # The others stop cleanly: their entries go, the killed one's stays.
        for index, loop in enumerate(loops):
            if index != KILLED:
                assert loop.stdin is not None
                loop.stdin.write("\n")
                loop.stdin.flush()
        for index, loop in enumerate(loops):
            if index != KILLED:
                assert loop.wait(timeout=60) == 0
        assert [entry["labels"]["instance"] for entry in json.loads(targets.read_text())] == [killed]
    finally:
        for loop in loops:
            if loop.poll() is None:
                loop.kill()
                loop.wait()
