"""A loop announces its exporter in a Prometheus file_sd file
(``monitoring.prometheus.file_sd_path``) at start and removes it at stop; several loops,
in several processes, share one file without losing entries; a forked child never removes
its parent's entry; the stack renders a scrape config that reads the file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

import finmon
from finmon.stack import StackSettings, render_prometheus_config

REPO_ROOT = Path(__file__).resolve().parents[3]


def loop_config(tmp_path: Path, targets: Path, **prometheus: object) -> Path:
    settings = {"port": 0, "file_sd_path": str(targets), **prometheus}
    config = {"monitoring": {
        "prometheus": settings,
        "resource_monitor": {"enabled": False}, "container_monitor": {"enabled": False},
        "alerts": {"log_file": None, "alertmanager": {"labels": {"env": "test"}}},
        "export": {"enabled": False},
    }}
    path = tmp_path / f"loop-{len(list(tmp_path.glob('loop-*.yaml')))}.yaml"
    path.write_text(json.dumps(config))
    return path


def entries(targets: Path) -> list[dict[str, object]]:
    loaded = json.loads(targets.read_text())
    assert isinstance(loaded, list)
    return loaded


def test_start_announces_the_bound_port_with_stable_labels_and_stop_removes_it(tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    runtime = finmon.start(loop_config(tmp_path, targets))
    try:
        port = runtime.port
        assert port
        run_id = runtime.run_id
        assert run_id and len(run_id) == 25, run_id  # 20261202T114512Z-0a1b2c3d
        (entry,) = entries(targets)
        assert entry == {"targets": [f"127.0.0.1:{port}"],
                         "labels": {"env": "test", "host": socket.gethostname(),
                                    "instance": f"127.0.0.1:{port}", "run_id": run_id}}
        assert (tmp_path / "targets.json.lock").exists()
    finally:
        runtime.stop()
    assert entries(targets) == []
    # Only the file, its lock and the configs: no temporary file left behind.
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("loop-")) == \
        ["targets.json", "targets.json.lock"]


def test_a_configured_run_id_and_instance_are_announced_as_given(tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    runtime = finmon.start(loop_config(tmp_path, targets, run_id="nightly-7", instance="loop-a"))
    try:
        assert runtime.run_id == "nightly-7"
        (entry,) = entries(targets)
        assert entry["labels"] == {"env": "test", "host": socket.gethostname(), "instance": "loop-a",
                                   "run_id": "nightly-7"}
    finally:
        runtime.stop()
    assert finmon.start(None, port=0, final_export=False).run_id is None  # no file_sd: no run id


LOOP = textwrap.dedent("""
    import sys, finmon
    runtime = finmon.start(sys.argv[1])
    print(runtime.port, flush=True)
    sys.stdin.readline()
    runtime.stop()
""")


def test_eight_processes_sharing_one_file_lose_no_entry(tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "python"),
                                                                        os.environ.get("PYTHONPATH")]))}
    loops = [subprocess.Popen([sys.executable, "-c", LOOP, str(loop_config(tmp_path, targets))], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(8)]
    try:
        ports = [int(loop.stdout.readline()) for loop in loops if loop.stdout is not None]
        assert len(ports) == 8 and all(ports)
        announced = {entry["targets"][0] for entry in entries(targets)}  # type: ignore[index]
        assert announced == {f"127.0.0.1:{port}" for port in ports}
        for loop in loops[:4]:  # four stop at once; the other four stay
            assert loop.stdin is not None
            loop.stdin.write("\n")
            loop.stdin.flush()
        for loop in loops[:4]:
            assert loop.wait(timeout=60) == 0
        left = {entry["targets"][0] for entry in entries(targets)}  # type: ignore[index]
        assert left == {f"127.0.0.1:{port}" for port in ports[4:]}
    finally:
        for loop in loops:
            if loop.poll() is None:
                loop.kill()
                loop.wait()


def test_a_forked_child_stopping_its_copy_leaves_the_parents_entry(tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    runtime = finmon.start(loop_config(tmp_path, targets))
    try:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                runtime.stop()
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert [e["labels"]["run_id"] for e in entries(targets)] == [runtime.run_id]  # type: ignore[index]
    finally:
        runtime.stop()
    assert entries(targets) == []


def test_the_stack_scrapes_what_the_file_lists(tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    cfg = finmon.MonitoringConfig.from_yaml(loop_config(tmp_path, targets))
    settings = StackSettings.from_config(cfg)
    assert settings.file_sd_path == str(targets)
    (job,) = yaml.safe_load(render_prometheus_config(settings))["scrape_configs"]
    assert job["file_sd_configs"] == [{"files": [str(targets)], "refresh_interval": "5s"}]
    assert "static_configs" not in job
    # A relative path is the loops' (their working folder's), so it is written absolute.
    relative = StackSettings(file_sd_path="targets.json")
    (job,) = yaml.safe_load(render_prometheus_config(relative))["scrape_configs"]
    assert job["file_sd_configs"][0]["files"] == [os.path.abspath("targets.json")]
