"""Every query of the Grafana dashboard against a real Prometheus scraping two loops at
once (two example loops, two targets, so two `instance` labels): with one instance
selected a query returns that loop's series only; with both selected ("All") each loop
keeps its own series, equal to what it shows alone, so nothing is summed across loops;
and the template variables list both loops."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from servers import PrometheusServer, free_port, http_json

from finmon.dashboard import expressions

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = REPO_ROOT / "python" / "examples" / "autonomous_loop.py"
DASHBOARD = REPO_ROOT / "config" / "grafana_dashboard.json"
RULES = REPO_ROOT / "config" / "alert_rules.yml"
#: 20 generations, 0.5 s apart: ten seconds of 1 s scrapes per loop.
ITERATIONS, DELAY = "20", "0.5"

Series = dict[tuple[tuple[str, str], ...], list[tuple[float, str]]]


def query_range(prometheus: PrometheusServer, expr: str, start: float, end: float) -> Series:
    """A range query as Grafana sends it for a panel (1 s steps): label set -> points."""
    params = urllib.parse.urlencode({"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": "1"})
    payload = http_json(f"{prometheus.url}/api/v1/query_range?{params}")
    assert payload["status"] == "success", (expr, payload)
    return {tuple(sorted(series["metric"].items())): [(t, v) for t, v in series["values"]]
            for series in payload["data"]["result"]}


def finite(series: Series) -> bool:
    return any(math.isfinite(float(v)) for points in series.values() for _, v in points)


def regex(*instances: str) -> str:
    """The instances chosen, as Grafana writes them into a PromQL regex: escaped (a
    backslash doubled inside the string), several as an alternation."""
    escaped = [re.escape(instance).replace("\\", "\\\\") for instance in instances]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def substituted(expr: str, instance_regex: str) -> str:
    """The query as Grafana sends it with job "finmon", the instances chosen and every run
    ("All": ``.*``, which matches these statically scraped loops without a run_id)."""
    return (expr.replace("$__rate_interval", "1m").replace("$job", "finmon")
            .replace("$instance", instance_regex).replace("$run_id", ".*"))


def rfc3339(text: str) -> float:
    """Seconds since the epoch of Prometheus' timestamps ("2026-12-03T05:10:11.123456789Z")."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    stamp = datetime.fromisoformat(whole).replace(tzinfo=timezone.utc).timestamp()
    return stamp + float(f"0.{fraction.split('+')[0] or '0'}")


def start_loop(port: int, seed: int, folder: Path) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "python"), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--iterations", ITERATIONS, "--seed", str(seed), "--port", str(port),
         "--iteration-delay", DELAY, "--no-containers"],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_two_loops(tmp_path: Path, ports: tuple[int, int]) -> None:
    """Two example loops at once, seeds 3 and 7, each in a folder of its own; returns when
    both have finished."""
    loops = []
    for index, (port, seed) in enumerate(zip(ports, (3, 7))):
        folder = tmp_path / f"loop{index}"
        folder.mkdir()
        loops.append(start_loop(port, seed, folder))
    for loop in loops:
        output, _ = loop.communicate(timeout=300)
        assert loop.returncode == 0, output[-3000:]


def test_every_query_keeps_two_loops_apart(
        tmp_path: Path, prometheus_factory: Callable[..., PrometheusServer]) -> None:
    board = json.loads(DASHBOARD.read_text())
    variables = [e for e in expressions(board) if e.startswith("label_values(")]
    queries = [e for e in expressions(board) if not e.startswith("label_values(")]
    ports = (free_port(), free_port())
    first, second = (f"127.0.0.1:{port}" for port in ports)
    prometheus = prometheus_factory([first, second], scrape_interval="1s", rule_files=[RULES])
    prometheus.wait_for(lambda: len(prometheus.targets()) == 2, timeout=30, message="both targets discovered")
    start = time.time()
    run_two_loops(tmp_path, ports)
    end = time.time() + 2
    prometheus.wait_for(lambda: {s["metric"]["instance"] for s in prometheus.query(
        f'count_over_time(loop_iteration[{math.ceil(end - start)}s]) >= 5')} == {first, second},
        timeout=30, message="several scrapes of each loop")
    # Every sample up to `end` written before the first query: a scrape or a rule evaluation
    # that started before `end` but was written between the queries below would make the
    # same range differ from one query to the next. Scrapes of a target, and evaluations of
    # a group, run one after the other: once one started after `end`, the earlier are in.
    prometheus.wait_for(lambda: min(rfc3339(t["lastScrape"]) for t in prometheus.targets()) > end
                        and min(rfc3339(g["lastEvaluation"]) for g in prometheus.rules()) > end,
                        timeout=30, message="every scrape and rule evaluation up to the range's end written")

    both = regex(first, second)
    for expr in queries:
        alone = {instance: query_range(prometheus, substituted(expr, regex(instance)), start, end)
                 for instance in (first, second)}
        together = query_range(prometheus, substituted(expr, both), start, end)
        for instance, series in alone.items():
            # One loop selected: its series only, with data.
            assert series and finite(series), f"no data for {instance}: {expr}"
            assert {dict(labels)["instance"] for labels in series} == {instance}, expr
            # Both selected: the same series for this loop, point for point; never a sum.
            mine = {labels: points for labels, points in together.items() if dict(labels).get("instance") == instance}
            assert mine == series, f"{instance} differs when both loops are selected: {expr}"
        assert all("instance" in dict(labels) for labels in together), f"a series without its loop: {expr}"

    # The variables: label_values(metric{matchers}, label), which Grafana asks the series API.
    for definition in variables:
        match = re.fullmatch(r"label_values\((\w+)(\{[^}]*\})?, (\w+)\)", definition)
        assert match, definition
        selector = match.group(1) + substituted(match.group(2) or "", both)
        params = urllib.parse.urlencode({"match[]": selector, "start": f"{start:.3f}", "end": f"{end:.3f}"})
        found = http_json(f"{prometheus.url}/api/v1/label/{match.group(3)}/values?{params}")["data"]
        # Scraped statically, the loops have no run_id: an empty list, which "All" (.*) still matches.
        expected = {"job": ["finmon"], "instance": sorted([first, second]), "run_id": []}[match.group(3)]
        assert sorted(found) == expected, (definition, found)


def test_the_values_differ_per_loop_so_the_comparison_means_something(
        tmp_path: Path, prometheus_factory: Callable[..., PrometheusServer]) -> None:
    # Two seeds, two searches: at least the champions' Sharpe ratios differ, so "equal when
    # both are selected" above is not equality of identical loops.
    ports = (free_port(), free_port())
    instances = [f"127.0.0.1:{port}" for port in ports]
    prometheus = prometheus_factory(instances, scrape_interval="1s")
    prometheus.wait_for(lambda: len(prometheus.targets()) == 2, timeout=30, message="both targets discovered")
    run_two_loops(tmp_path, ports)
    sharpe: dict[str, Any] = prometheus.wait_for(
        lambda: (found := {s["metric"]["instance"]: s["value"][1] for s in prometheus.query(
            'last_over_time(champion_sharpe_ratio{job="finmon"}[1m])')}) and len(found) == 2 and found,
        timeout=30, message="both champions scraped")
    assert sharpe[instances[0]] != sharpe[instances[1]], sharpe
