"""The main job (scripts/run.sh: 50 iterations, every backtest in a podman sandbox) with a
real Prometheus scraping it: every PromQL expression of the Grafana dashboard (panels and
annotations) returns data, and the three container panels show non-zero values. No panel
of config/grafana_dashboard.json shows "No data" or a flat zero for the job a new user
runs first.

run.sh is run as a user runs it (its own podman service on a private socket, the
committed config), with two differences a shared test machine needs: FINMON_LIB (set by
the test command) makes it use the checkout's package instead of installing one, and the
config's sandbox label gets a value of its own (``finlab-sandbox=<run>``), so the run's
container monitor counts and cleans only this run's sandboxes, never those of tests
running beside it.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servers import SANDBOX_LABEL, PodmanService, PrometheusServer, free_port, http_json

from finmon.dashboard import expressions

REPO_ROOT = Path(__file__).resolve().parents[3]
RUN_SH = REPO_ROOT / "scripts" / "run.sh"
CONFIG = REPO_ROOT / "config" / "monitoring_config.yaml"
DASHBOARD = REPO_ROOT / "config" / "grafana_dashboard.json"

#: Grafana variables and what they become here. Grafana makes $__rate_interval at least
#: four scrape intervals; 1m covers the whole run at the test's 1 s scrapes.
# run_id as "All" sends it: .*, which matches the statically scraped loop (no run_id label).
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$job": "finmon", "$run_id": ".*"}
#: The graphs of the Container Stats quadrant, which must show more than zeros.
CONTAINER_PANELS = ("Active containers", "Container memory (GB)", "Orphaned containers")
ITERATIONS = 50


def query_range(prometheus: PrometheusServer, expr: str, start: float, end: float) -> list[dict[str, Any]]:
    """A range query as Grafana sends it for a time series panel (1 s steps)."""
    params = urllib.parse.urlencode({"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": "1"})
    payload = http_json(f"{prometheus.url}/api/v1/query_range?{params}")
    assert payload["status"] == "success", (expr, payload)
    return list(payload["data"]["result"])


def values(result: list[dict[str, Any]]) -> list[float]:
    """The finite points of a result: NaN is drawn as a gap, so a panel of NaN shows nothing."""
    points = (float(value) for series in result for _, value in series["values"])
    return [point for point in points if math.isfinite(point)]


def main_job_config(tmp_path: Path, label: str) -> Path:
    """The committed config, with this run's own value of the sandbox label."""
    text = CONFIG.read_text()
    committed = 'label: "finlab-sandbox"'
    assert committed in text
    config = tmp_path / "monitoring_config.yaml"
    config.write_text(text.replace(committed, f'label: "{label}"'))
    return config


def run_main_job(tmp_path: Path, port: int, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}  # run.sh starts its own engine
    assert env.get("FINMON_LIB"), "the test command sets FINMON_LIB to the library it built"
    return subprocess.run(["bash", str(RUN_SH), "--port", str(port), "--config", str(config)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)


def test_every_dashboard_query_returns_data_for_the_main_job_with_sandboxes(
        tmp_path: Path, podman: PodmanService, prometheus_factory: Callable[..., PrometheusServer]) -> None:
    board = json.loads(DASHBOARD.read_text())
    # The template variables' label_values() are Grafana's, not PromQL (see test_dashboard_instances).
    queries = [expr for expr in expressions(board) if not expr.startswith("label_values(")]
    annotations = [a["expr"] for a in board["annotations"]["list"] if "expr" in a]
    assert annotations and set(annotations) <= set(queries)
    container_queries = [t["expr"] for p in board["panels"] if p["title"] in CONTAINER_PANELS for t in p["targets"]]
    assert len(container_queries) == 3 and set(container_queries) <= set(queries)

    run = uuid.uuid4().hex[:12]
    label = f"{SANDBOX_LABEL}={run}"
    port = free_port()
    prometheus = prometheus_factory([f"127.0.0.1:{port}"], scrape_interval="1s")
    # The target scrapes from the moment it is discovered, so the loop starts after that.
    prometheus.wait_for(lambda: prometheus.targets(), timeout=30, message="the finmon target is discovered")
    start = time.time()
    job = run_main_job(tmp_path, port, main_job_config(tmp_path, label))
    end = time.time()
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]

    # It ran as documented: its own engine, sandboxes, 50 iterations, the final record.
    out = job.stdout
    assert "podman engine: unix://" in out
    assert f"metrics: http://127.0.0.1:{port}/metrics" in out and "python3 -m finmon stack" in out
    assert f"serving metrics on http://127.0.0.1:{port}/metrics" in out
    assert "backtests in finlab-sandbox:latest sandboxes" in out
    assert f"iter   {ITERATIONS}/{ITERATIONS} |" in out
    assert f"final record: {tmp_path / 'metrics_final.json'}" in out
    final = json.loads((tmp_path / "metrics_final.json").read_text())
    assert final["run"]["iterations"] == ITERATIONS
    assert (tmp_path / "prometheus_metrics_final.txt").exists()
    # Nothing of this run is left in the engine (the loop removes what auto-cleanup did not).
    left = podman.podman("ps", "--all", "--quiet", "--filter", f"label={label}").stdout.split()
    assert not left, left

    # Precondition: Prometheus saw the loop run, many scrapes of it.
    scrapes = prometheus.query(f"count_over_time(loop_iteration[{math.ceil(end - start) + 5}s])")
    assert scrapes and float(scrapes[0]["value"][1]) >= 30, (scrapes, prometheus.targets())

    without_data, peaks = [], {}
    for expr in queries:
        promql = expr.replace("$instance", f"127.0.0.1:{port}")
        for variable, value in GRAFANA_VARIABLES.items():
            promql = promql.replace(variable, value)
        assert not re.search(r"\$[A-Za-z_]", promql), f"unhandled Grafana variable in {expr!r}"  # $1: label_replace's
        points = values(query_range(prometheus, promql, start, end + 2))
        if not points:
            without_data.append(expr)
        peaks[expr] = max(points, default=math.nan)

    assert not without_data, f"dashboard queries without data: {without_data}"
    flat = [expr for expr in container_queries if not peaks[expr] > 0]
    assert not flat, f"container panels that stayed at zero: {flat} (peaks {peaks})"
