"""The example evolution loop (python/examples/autonomous_loop.py), backtesting in-process
(``--no-containers``; the sandboxed runs are in test_dashboard_queries.py and
test_production_monitoring.py): it runs to completion with a fixed seed, is reproducible,
exits 0 on Ctrl-C; its converge mode (selection with a small mutation) pulls diversity
under 0.1 and fires diversity_collapse from the search's own dynamics, where the explore
mode never does; its collapse mode (no mutation) shows champion_staleness_iterations
rising in the metrics scraped from its exporter after every iteration."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import ModuleType

import pytest
from prometheus_client.parser import text_string_to_metric_families

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = REPO_ROOT / "python" / "examples"
EXAMPLE = EXAMPLES / "autonomous_loop.py"
PROGRESS = re.compile(r"^iter +(\d+)/(\d+) \| ")
TIMING = re.compile(r"\| [0-9.]+ s")


def load_example() -> ModuleType:
    """The example as a module; its folder goes on sys.path for its sibling modules."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location("autonomous_loop", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return load_example()


def example_env() -> dict[str, str]:
    env = dict(os.environ)
    python_dir = str(REPO_ROOT / "python")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [python_dir, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_example(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLE), "--no-containers", *arguments], env=example_env(),
                          capture_output=True, text=True, timeout=120)


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples if not sample.labels}


def test_thirty_iterations_with_a_fixed_seed_exit_0_and_are_reproducible() -> None:
    first = run_example("--iterations", "30", "--population", "20", "--seed", "7", "--port", "0")
    assert first.returncode == 0, first.stderr
    progress = [line for line in first.stdout.splitlines() if PROGRESS.match(line)]
    assert [int(PROGRESS.match(line).group(1)) for line in progress] == list(range(1, 31))  # type: ignore[union-attr]
    assert "finmon: serving metrics on http://127.0.0.1:" in first.stdout
    assert "done: champion Sharpe" in first.stdout

    second = run_example("--iterations", "30", "--population", "20", "--seed", "7", "--port", "0")
    assert second.returncode == 0, second.stderr
    # Same seed, same search: every figure but the timings and the port is identical.
    def figures(output: str) -> list[str]:
        return [TIMING.sub("", line) for line in output.splitlines() if PROGRESS.match(line) or line.startswith("done")]
    assert figures(first.stdout) == figures(second.stdout)


def write_config(tmp_path: Path) -> Path:
    """Alerts evaluated every 0.2 s into a log in tmp_path; everything else as committed."""
    config = tmp_path / "monitoring_config.yaml"
    config.write_text(f"""
monitoring:
  alerts:
    evaluation_interval: 0.2
    log_file: "{tmp_path / 'alerts.jsonl'}"
  export:
    directory: "{tmp_path}"
""")
    return config


def fired(log: Path, alert_type: str) -> list[dict[str, object]]:
    if not log.exists():
        return []
    events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [e for e in events if e["alert_type"] == alert_type and e["status"] == "firing"]


def test_selection_with_a_small_mutation_converges_and_fires_diversity_collapse_by_itself(
        example: ModuleType, tmp_path: Path) -> None:
    """Nothing is injected: the loop reports what finmon.diversity.compute says of its
    population (scaled by the search space's bounds), and finmon's alert evaluation fires
    on those values. The explore mode, same seed, stays diverse and never fires."""
    config = write_config(tmp_path)
    log = tmp_path / "alerts.jsonl"
    runs: dict[str, list[tuple[object, dict[str, float]]]] = {"converge": [], "explore": []}

    for mode, flags in (("explore", []), ("converge", ["--converge"])):
        def after_iteration(report: object, scraped: list[tuple[object, dict[str, float]]] = runs[mode]) -> None:
            scraped.append((report, scrape(report.port)))  # type: ignore[attr-defined]
            if mode == "converge" and report.iteration == 25:  # type: ignore[attr-defined]
                # The collapse holds on the last iteration; wait for an evaluation to see it.
                wait_deadline(lambda: fired(log, "diversity_collapse"), 10, "diversity_collapse in the alert log")

        status = example.main(["--no-containers", "--iterations", "25", "--seed", "5", "--port", "0",
                               "--config", str(config), *flags, "--iteration-delay", "0.05"],
                              on_iteration=after_iteration)
        assert status == 0
        if mode == "explore":
            assert not fired(log, "diversity_collapse")

    explore = [metrics["population_diversity"] for _, metrics in runs["explore"]]
    converge = [metrics["population_diversity"] for _, metrics in runs["converge"]]
    for report, metrics in runs["converge"]:
        assert metrics["population_diversity"] == report.diversity  # type: ignore[attr-defined]
    assert min(explore) > 0.1, explore
    assert converge[0] > 0.3, "a random initial population spans the search space"
    low_from = next(i for i, value in enumerate(converge) if value < 0.1)
    assert low_from <= 15 and all(value < 0.1 for value in converge[low_from:]), converge
    # Converged: the members still differ (unique > 1), but all sit in a corner of the space.
    assert runs["converge"][-1][0].unique > 1  # type: ignore[attr-defined]
    event = fired(log, "diversity_collapse")[0]
    assert event["iteration_context"] >= low_from + 5  # five iterations below 0.1 first
    assert float(event["current_value"]) < 0.1  # type: ignore[arg-type]
    final = json.loads((tmp_path / "metrics_final.json").read_text())
    assert "diversity_collapse" in {a["alert_type"] for a in final["active_alerts"]}


def wait_deadline(predicate: object, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {message}"
        time.sleep(0.05)


def test_collapse_mode_shows_diversity_collapse_and_rising_staleness(example: ModuleType) -> None:
    scraped: list[tuple[object, dict[str, float]]] = []

    def after_iteration(report: object) -> None:
        scraped.append((report, scrape(report.port)))  # type: ignore[attr-defined]

    status = example.main(["--no-containers", "--iterations", "30", "--population", "20", "--seed", "3",
                           "--port", "0", "--collapse"], on_iteration=after_iteration)
    assert status == 0
    assert len(scraped) == 30
    for report, metrics in scraped:
        # What the loop printed is what the exporter served.
        assert metrics["population_diversity"] == report.diversity  # type: ignore[attr-defined]
        assert metrics["champion_staleness_iterations"] == report.champion_age  # type: ignore[attr-defined]
        assert metrics["loop_iteration"] == report.iteration  # type: ignore[attr-defined]

    diversity = [metrics["population_diversity"] for _, metrics in scraped]
    staleness = [metrics["champion_staleness_iterations"] for _, metrics in scraped]
    collapsed_from = next(i for i, value in enumerate(diversity) if value < 0.1)
    assert diversity[0] > 0.1, "a random initial population is diverse"
    assert all(value < 0.1 for value in diversity[collapsed_from:]), "without mutation it never recovers"
    assert collapsed_from <= 20, "the collapse leaves room to watch staleness rise"
    tail = staleness[collapsed_from:]
    assert all(later == earlier + 1 for earlier, later in zip(tail, tail[1:])), tail
    assert tail[-1] >= 10
    # The collapse check fires once five consecutive values are below 0.1.
    flags = [report.collapsed for report, _ in scraped]  # type: ignore[attr-defined]
    assert flags[collapsed_from + 4:] == [True] * (30 - collapsed_from - 4)
    assert not any(flags[:collapsed_from + 4])


def test_injected_failures_are_counted_and_the_loop_goes_on(example: ModuleType) -> None:
    reports: list[object] = []
    final: dict[str, float] = {}

    def after_iteration(report: object) -> None:
        reports.append(report)
        if report.iteration == 25:  # type: ignore[attr-defined]
            final.update(scrape(report.port))  # type: ignore[attr-defined]

    status = example.main(["--no-containers", "--iterations", "25", "--population", "12", "--seed", "5",
                           "--port", "0", "--failure-rate", "0.4"], on_iteration=after_iteration)
    assert status == 0
    failed = [report.failed is not None for report in reports]  # type: ignore[attr-defined]
    assert 0 < sum(failed) < 25
    assert final["strategy_failure_total"] == sum(failed)
    assert final["strategy_success_total"] == 25 - sum(failed)
    last_ten = failed[-10:]
    assert final["strategy_success_rate"] == (10 - sum(last_ten)) / 10
    assert final["execution_time_seconds_count"] == 25


def test_ctrl_c_stops_the_loop_cleanly_with_status_0() -> None:
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--no-containers", "--iterations", "100000", "--seed", "1", "--port", "0",
         "--iteration-delay", "0.05"],
        env=example_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        while not PROGRESS.match(lines.get(timeout=60)):
            pass
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, process.stderr.read()  # type: ignore[union-attr]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(timeout=10)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert "interrupted: stopping\n" in rest
    assert "Traceback" not in process.stderr.read()  # type: ignore[union-attr]
