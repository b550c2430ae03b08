"""The example evolution loop (python/examples/autonomous_loop.py): it runs to completion
with a fixed seed, is reproducible, exits 0 on Ctrl-C, and its forced-collapse mode shows
population_diversity falling under 0.1 and champion_staleness_iterations rising in the
metrics scraped from its exporter after every iteration."""

from __future__ import annotations

import importlib.util
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from types import ModuleType

import pytest
from prometheus_client.parser import text_string_to_metric_families

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = REPO_ROOT / "python" / "examples" / "autonomous_loop.py"
PROGRESS = re.compile(r"^iter +(\d+)/(\d+) \| ")
TIMING = re.compile(r"\| [0-9.]+ s")


def load_example() -> ModuleType:
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
    return subprocess.run([sys.executable, str(EXAMPLE), *arguments], env=example_env(),
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


def test_collapse_mode_shows_diversity_collapse_and_rising_staleness(example: ModuleType) -> None:
    scraped: list[tuple[object, dict[str, float]]] = []

    def after_iteration(report: object) -> None:
        scraped.append((report, scrape(report.port)))  # type: ignore[attr-defined]

    status = example.main(["--iterations", "30", "--population", "20", "--seed", "3", "--port", "0", "--collapse"],
                          on_iteration=after_iteration)
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

    status = example.main(["--iterations", "25", "--population", "12", "--seed", "5", "--port", "0",
                           "--failure-rate", "0.4"], on_iteration=after_iteration)
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
        [sys.executable, str(EXAMPLE), "--iterations", "100000", "--seed", "1", "--port", "0",
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
