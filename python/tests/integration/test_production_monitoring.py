"""A production-like run: the example loop's evolution for 50 iterations under
``finmon.start`` with every monitor on, its backtests run by the example's DockerExecutor
in real podman sandbox containers, and faults injected in phases. Every fault must show up everywhere
an operator would look: finmon's JSON alert log, ``alerts_triggered_total`` on
/metrics, Prometheus's own evaluation of the rules rendered from the same config, and
Alertmanager (from finmon and from Prometheus). At the end the final record agrees with
the last scrape.

Phases (iteration numbers):
  1-8    normal: mutation on, each sandbox tracked and removed;
  9-14   orphans: in 9, 11 and 13 the sandbox is left behind after it exited (still
         tracked, never cleaned up) -> orphaned_containers; high_memory fires throughout
         from the lowered threshold and the machine's real memory use;
  15-40  collapse: mutation off -> diversity_collapse and champion_staleness (the
         converged population needs no new backtests, so no sandbox runs);
  41-50  failures: mutation on again and every sandbox crashes (its program exits 3), so
         no generation advances -> low_success_rate.
At each phase's end the loop (its on_iteration hook) waits, with deadlines, until the
alert is seen in all four places; the fault's condition holds meanwhile.

Why the orphans stay tracked until the alert is seen: auto-cleanup removes only orphans
the monitor does not track, and removes them in the same polling cycle that counted
them, so three untracked orphans would be gone before an evaluation or a scrape could
see orphaned_containers >= 3. Once the alert is seen the loop gives up on them
(records a failed cleanup), and auto-cleanup removes them from the engine.
"""

from __future__ import annotations

import importlib.util
import json
import math
import random
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families
from scrape import samples, wait_for
from servers import SANDBOX_IMAGE, SANDBOX_LABEL, AlertmanagerServer, PodmanService, PrometheusServer

import finmon
from finmon.config import render_rules

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = REPO_ROOT / "python" / "examples"
EXAMPLE = EXAMPLES / "autonomous_loop.py"

ITERATIONS = 50
ORPHAN_ITERATIONS = (9, 11, 13)
COLLAPSE_FROM = 15
FAILURES_FROM = 41
STALENESS_THRESHOLD = 5
FAULTS = ("orphaned_containers", "high_memory", "diversity_collapse", "champion_staleness", "low_success_rate")
#: Counters that cannot change once the loop has ended and alert evaluation stopped.
FINAL_COUNTERS = ("strategy_success_total", "strategy_failure_total", "champion_updates_total",
                  "container_cleanup_success_total", "container_cleanup_failure_total")

Key = tuple[str, tuple[tuple[str, str], ...]]


def load_example() -> ModuleType:
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))  # the example's sibling modules
    spec = importlib.util.spec_from_file_location("autonomous_loop", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def write_config(tmp_path: Path, label: str, alertmanager_url: str, tag: str) -> tuple[Path, float]:
    """The test's monitoring_config.yaml: fast intervals, and thresholds the run crosses."""
    memory_threshold = round(max(1.0, psutil.virtual_memory().percent - 5), 1)
    text = f"""
monitoring:
  prometheus:
    scrape_interval: 1
  resource_monitor:
    collection_interval: 0.5
  container_monitor:
    label: "{label}"
    stats_collection_interval: 1
  alerts:
    evaluation_interval: 1
    log_file: "{tmp_path / 'alerts.jsonl'}"
    memory_threshold_percent: {memory_threshold}
    cpu_threshold_percent: 100
    diversity_collapse:
      threshold: 0.1
      window: 5
    champion_staleness:
      threshold_iterations: {STALENESS_THRESHOLD}
    success_rate:
      threshold_percent: 50
      window_iterations: 10
    orphaned_containers:
      threshold: 3
      auto_cleanup: true
    alertmanager:
      url: "{alertmanager_url}"
      resend_interval: 1
      labels: {{test: "{tag}"}}
  export:
    directory: "{tmp_path}"
"""
    path = tmp_path / "monitoring_config.yaml"
    path.write_text(text)
    return path, memory_threshold


def log_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class Observer:
    """Where an alert can be seen: finmon's log and counter, Prometheus, Alertmanager."""

    def __init__(self, monitoring: finmon.Runtime, prometheus: PrometheusServer,
                 alertmanager: AlertmanagerServer, log: Path, tag: str) -> None:
        self.monitoring = monitoring
        self.prometheus = prometheus
        self.alertmanager = alertmanager
        self.log = log
        self.tag = tag
        assert monitoring.port is not None
        self.port = monitoring.port
        self.seen: dict[str, dict[str, Any]] = {}

    def fired_in_log(self, alert_type: str) -> list[dict[str, Any]]:
        return [e for e in log_events(self.log) if e["alert_type"] == alert_type and e["status"] == "firing"]

    def triggered(self, alert_type: str) -> float:
        return samples(self.port).get(("alerts_triggered_total", (("alert_type", alert_type),)), 0.0)

    def in_prometheus(self, alert_type: str) -> list[dict[str, Any]]:
        return [a for a in self.prometheus.alerts()
                if a["labels"].get("alertname") == alert_type and a["state"] in ("pending", "firing")
                and a["labels"].get("instance") == f"127.0.0.1:{self.port}"]

    def from_finmon_in_alertmanager(self, alert_type: str) -> list[dict[str, Any]]:
        return self.alertmanager.alerts(filter=[f'alertname="{alert_type}"', f'test="{self.tag}"'])

    def from_prometheus_in_alertmanager(self, alert_type: str) -> list[dict[str, Any]]:
        return self.alertmanager.alerts(filter=[f'alertname="{alert_type}"', 'job="finmon"',
                                                f'instance="127.0.0.1:{self.port}"'])

    def wait_everywhere(self, alert_type: str) -> None:
        """Wait (deadlines) until the alert is in all four places, and check what each says."""
        fired = wait_for(lambda: self.fired_in_log(alert_type), timeout=20,
                         message=f"{alert_type} firing in finmon's alert log")
        assert fired[0]["severity"] in ("warning", "critical")
        assert wait_for(lambda: self.triggered(alert_type) >= 1, timeout=10,
                        message=f"alerts_triggered_total{{alert_type={alert_type!r}}} >= 1 on /metrics")
        rule = wait_for(lambda: self.in_prometheus(alert_type), timeout=30,
                        message=f"Prometheus evaluating {alert_type} as pending or firing")[0]
        assert rule["labels"]["alert_type"] == alert_type
        from_finmon = wait_for(lambda: self.from_finmon_in_alertmanager(alert_type), timeout=20,
                               message=f"{alert_type} from finmon in Alertmanager")[0]
        assert from_finmon["labels"]["alert_type"] == alert_type
        assert from_finmon["labels"]["severity"] == fired[0]["severity"]
        assert "instance" in from_finmon["labels"]
        from_prometheus = wait_for(lambda: self.from_prometheus_in_alertmanager(alert_type), timeout=30,
                                   message=f"{alert_type} from Prometheus in Alertmanager")[0]
        assert from_prometheus["labels"]["alert_type"] == alert_type
        assert from_prometheus["labels"]["severity"] == fired[0]["severity"]
        self.seen[alert_type] = {"log": fired[0], "prometheus": rule, "alertmanager_finmon": from_finmon,
                                 "alertmanager_prometheus": from_prometheus}


def json_samples(path: Path) -> dict[Key, float]:
    document = json.loads(path.read_text())
    result: dict[Key, float] = {}
    for family in document["metrics"]:
        for sample in family["samples"]:
            value = sample["value"]
            result[(sample["name"], tuple(sorted(sample["labels"].items())))] = (
                float(value) if not isinstance(value, str) else float(value.replace("Inf", "inf")))
    return result


def text_samples(path: Path) -> dict[Key, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(path.read_text()) for s in family.samples}


@pytest.fixture
def label(podman: PodmanService) -> Iterator[str]:
    """A label key only this test's sandboxes carry; every one is removed afterwards."""
    key = f"finmon-prodsim-{uuid.uuid4().hex[:10]}"
    try:
        yield key
    finally:
        leftovers = podman.podman("ps", "--all", "--quiet", "--filter", f"label={key}").stdout.split()
        if leftovers:
            podman.podman("rm", "--force", "--time", "0", *leftovers)


def test_fifty_iterations_with_every_fault_seen_everywhere(
        tmp_path: Path, podman: PodmanService, alertmanager: AlertmanagerServer, label: str,
        prometheus_factory: Callable[..., PrometheusServer]) -> None:
    example = load_example()
    client = podman.docker_client()
    tag = uuid.uuid4().hex
    config, memory_threshold = write_config(tmp_path, label, alertmanager.url, tag)
    rules = tmp_path / "alert_rules.yml"
    rules.write_text(render_rules(config))
    rules_text = rules.read_text()
    # Prometheus evaluates the same thresholds as finmon.
    assert f"> {memory_threshold:g}" in rules_text and f">= {STALENESS_THRESHOLD}" in rules_text
    assert "max_over_time(population_diversity[5s])" in rules_text

    monitoring = finmon.start(config, docker_client=client, port=0)
    try:
        assert monitoring.port is not None and monitoring.containers is not None and monitoring.alerts is not None
        prometheus = prometheus_factory([f"127.0.0.1:{monitoring.port}"], rule_files=[rules],
                                        alertmanager_url=alertmanager.url, scrape_interval="1s")
        prometheus.wait_for(lambda: any(t["health"] == "up" for t in prometheus.targets()), timeout=30,
                            message="the finmon target scraped")
        observer = Observer(monitoring, prometheus, alertmanager, tmp_path / "alerts.jsonl", tag)

        def engine_ids() -> set[str]:
            # Ids only: containers.list() inspects each one and fails on one removed meanwhile.
            return {c["Id"] for c in client.api.containers(all=True, quiet=True, filters={"label": label})}

        class PhasedExecutor(example.DockerExecutor):  # type: ignore[name-defined,misc]
            """The example's executor, with the phases' faults."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.iteration = 1  # set by on_iteration for the next one
                self.orphans: list[Any] = []
                self.sandboxed: list[int] = []

            def backtest(self, strategies: Any, seed: int, days: int = 2520, fault: str | None = None) -> Any:
                return super().backtest(strategies, seed, days, "crash" if self.iteration >= FAILURES_FROM else fault)

            def run_sandbox(self, request: dict[str, Any]) -> Any:
                self.sandboxed.append(self.iteration)
                return super().run_sandbox(request)

            def cleanup(self, container: Any) -> None:
                if self.iteration in ORPHAN_ITERATIONS:
                    self.orphans.append(container)  # left behind, still tracked: the loop lost it
                    return
                super().cleanup(container)

        # One sandbox per generation (12 strategies, 10 offspring), labelled for the monitor.
        executor = PhasedExecutor(client, monitoring, label=label, extra_labels={SANDBOX_LABEL: "true"},
                                  strategies_per_sandbox=20, timeout=30)
        orphans = executor.orphans
        args = example.parse_args(["--iterations", str(ITERATIONS), "--population", "12", "--seed", "3",
                                   "--port", "0", "--iteration-delay", "0.1"])
        population = example.PopulationManager(args.population, random.Random(args.seed), monitoring)

        reports: list[Any] = []
        cleanup_before_release: dict[str, float] = {}

        def on_iteration(report: Any) -> None:
            reports.append(report)
            executor.iteration = report.iteration + 1
            if report.iteration + 1 == COLLAPSE_FROM:
                population.mutation_scale = 0.0
            elif report.iteration + 1 == FAILURES_FROM:
                population.mutation_scale = 0.2  # new strategies again, so sandboxes run (and crash)
            if report.iteration == ORPHAN_ITERATIONS[-1]:
                assert report.failed is None
                wait_for(lambda: set(c.id for c in orphans) <= engine_ids(), timeout=10,
                         message="the orphans left in the engine")
                observer.wait_everywhere("orphaned_containers")
                observer.wait_everywhere("high_memory")
                metrics = samples(observer.port)
                cleanup_before_release.update(
                    success=metrics[("container_cleanup_success_total", ())],
                    failure=metrics[("container_cleanup_failure_total", ())])
                # The loop gives up on them; auto-cleanup may now take them.
                for container in orphans:
                    monitoring.record_container_cleanup(container.id, success=False)
                wait_for(lambda: not (set(c.id for c in orphans) & engine_ids()), timeout=20,
                         message="auto-cleanup removing the orphans from the engine")
                wait_for(lambda: monitoring.containers.get_status()["auto_removed"] >= len(orphans),  # type: ignore[union-attr]
                         timeout=10, message="the monitor counting its removals")
                wait_for(lambda: any(e["alert_type"] == "orphaned_containers" and e["status"] == "resolved"
                                     for e in log_events(observer.log)), timeout=20,
                         message="orphaned_containers resolved after the cleanup")
            elif (report.iteration >= COLLAPSE_FROM and "diversity_collapse" not in observer.seen
                  and report.collapsed and (report.champion_age or 0) >= STALENESS_THRESHOLD):
                assert report.iteration < FAILURES_FROM, "the collapse must come before the failure phase"
                observer.wait_everywhere("diversity_collapse")
                observer.wait_everywhere("champion_staleness")
            elif report.iteration == ITERATIONS:
                observer.wait_everywhere("low_success_rate")

        assert monitoring.collector is not None
        example.run(args, monitoring, executor, on_iteration, population=population)

        # The run went as planned.
        assert [r.iteration for r in reports] == list(range(1, ITERATIONS + 1))
        assert set(range(1, COLLAPSE_FROM)) <= set(executor.sandboxed)
        assert set(range(FAILURES_FROM, ITERATIONS + 1)) <= set(executor.sandboxed)
        assert len(orphans) == len(ORPHAN_ITERATIONS)
        assert all(r.failed and "exited with status 3" in r.failed for r in reports[FAILURES_FROM - 1:])
        assert not any(r.failed for r in reports[:FAILURES_FROM - 1])
        assert set(observer.seen) == set(FAULTS)
        # Diversity collapsed only once mutation was off. (With a threshold of 5 the
        # champion may already go stale while mutation is on; it was firing, in all four
        # places, when the collapse was checked.)
        assert observer.seen["diversity_collapse"]["log"]["iteration_context"] >= COLLAPSE_FROM
        assert reports[-1].champion_age >= ITERATIONS - COLLAPSE_FROM
        assert observer.seen["low_success_rate"]["log"]["iteration_context"] >= FAILURES_FROM
        assert observer.seen["orphaned_containers"]["log"]["current_value"] >= 3

        # Orphans: counted, removed by auto-cleanup (the loop's give-up counted as failures).
        metrics = samples(observer.port)
        assert metrics[("container_cleanup_success_total", ())] >= cleanup_before_release["success"] + len(orphans)
        assert metrics[("container_cleanup_failure_total", ())] == cleanup_before_release["failure"] + len(orphans)
        assert wait_for(lambda: samples(observer.port)[("orphaned_containers", ())] == 0, timeout=10,
                        message="orphaned_containers back to 0")
        # Every other sandbox was removed by the executor.
        assert wait_for(lambda: not engine_ids(), timeout=20, message="no sandbox left in the engine")
        assert metrics[("active_containers", ())] == 0

        # Final record: stop the evaluation first, so no alert fires between the last
        # scrape and the record; the loop's counters cannot move any more.
        monitoring.alerts.stop()
        last = samples(observer.port)
        active = {a.alert_type for a in monitoring.alerts.active_alerts()}
    finally:
        monitoring.stop()

    assert {"high_memory", "diversity_collapse", "champion_staleness", "low_success_rate"} <= active
    assert "orphaned_containers" not in active
    final_json = tmp_path / "metrics_final.json"
    final_text = tmp_path / "prometheus_metrics_final.txt"
    assert final_json.exists() and final_text.exists()
    from_json, from_text = json_samples(final_json), text_samples(final_text)
    keys: list[Key] = [(name, ()) for name in FINAL_COUNTERS]
    keys += [("alerts_triggered_total", (("alert_type", t),)) for t in FAULTS]
    for key in keys:
        assert key in last, key
        assert from_json.get(key) == last[key] == from_text.get(key), (key, from_json.get(key), last[key],
                                                                      from_text.get(key))
    assert last[("strategy_success_total", ())] == FAILURES_FROM - 1
    assert last[("strategy_failure_total", ())] == ITERATIONS - FAILURES_FROM + 1
    assert all(last[("alerts_triggered_total", (("alert_type", t),))] >= 1 for t in FAULTS)
    document = json.loads(final_json.read_text())
    assert document["run"]["iterations"] == ITERATIONS
    assert {a["alert_type"] for a in document["active_alerts"]} == active
    assert all(math.isfinite(v) for v in (last[k] for k in keys))
