"""A small autonomous strategy-evolution loop, instrumented with finmon.

The original design's "Autonomous Loop" integration point: the iteration lifecycle and the
champion update logic. Every iteration (one generation):

  1. the population manager breeds offspring (population_manager.py);
  2. the strategies never backtested before run in sandbox containers (docker_executor.py),
     or in this process with ``--no-containers``; the backtest is backtest.py;
  3. the population keeps its best (elitism), and a champion is crowned when one beats it.

Where finmon's hooks go:
  - ``monitoring.iteration(i)`` around the generation: times it and records its outcome
    (an exception inside records a failure; ``it.result(...)`` the best Sharpe ratio);
  - ``population.record_diversity(i)``: the population manager reports its diversity;
  - ``monitoring.record_champion_update(...)`` in the champion update logic;
  - the executor's container hooks (created, stats, cleanup) around each sandbox.
``finmon.start`` wires the exporter, the resource sampler, the container monitor and the
alerts from the config; ``monitoring.stop()`` joins them and writes the final record.

Run it (``scripts/run.sh`` starts a podman engine and runs this with sandboxes):
    python python/examples/autonomous_loop.py --no-containers --iteration-delay 0.5
    python python/examples/autonomous_loop.py --no-containers --converge   # small mutation:
        # selection pulls the population into one point, diversity_collapse fires
    python python/examples/autonomous_loop.py --no-containers --collapse   # mutation off

It stops after --iterations, or on Ctrl-C (SIGINT) or SIGTERM, and always stops finmon;
both exit with status 0.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import docker
import docker.errors

import finmon
from backtest import Market, Result, Rule, synthetic_prices
from docker_executor import ENGINE_ERRORS, DockerExecutor, SandboxError
from population_manager import PopulationManager, Strategy

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "monitoring_config.yaml"
#: Mutation of the three modes, as a fraction of each parameter's range (0: none).
MUTATION_SCALE = {"explore": 0.2, "converge": 0.01, "collapse": 0.0}


class LocalExecutor:
    """Backtests in this process (``--no-containers``), with the DockerExecutor's interface."""

    def __init__(self) -> None:
        self._markets: dict[tuple[int, int], Market] = {}

    def backtest(self, strategies: Sequence[Rule], seed: int, days: int = 2520,
                 fault: str | None = None) -> list[Result]:
        if fault is not None and strategies:
            raise SandboxError(f"simulated sandbox failure ({fault})")
        market = self._markets.get((seed, days))
        if market is None:
            market = self._markets[(seed, days)] = Market(synthetic_prices(seed, days))
        return [market.backtest(rule) for rule in strategies]


class FlakyRemovalExecutor(DockerExecutor):
    """A DockerExecutor whose engine refuses a share of the removals (``--cleanup-failure-rate``):
    the cleanup is recorded as failed and the exited container is left behind as an orphan,
    which finmon's orphan scan counts and its auto-cleanup removes once there are enough."""

    def __init__(self, *args: Any, failure_rate: float, seed: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failure_rate = failure_rate
        self._draws = random.Random(seed ^ 0xC1EA)

    def remove(self, container: Any) -> None:
        if self._draws.random() < self.failure_rate:
            raise docker.errors.APIError("simulated engine refusal to remove the container")
        super().remove(container)


# ---- the instrumented loop ---------------------------------------------------------


@dataclass(frozen=True)
class IterationReport:
    """What one iteration printed, handed to ``on_iteration`` (tests scrape /metrics there)."""

    iteration: int
    failed: str | None
    best_sharpe: float | None
    champion_sharpe: float | None
    champion_age: int | None
    diversity: float
    unique: int
    total: int
    success_rate: float | None
    seconds: float
    collapsed: bool
    port: int | None


@dataclass
class Champion:
    """The best strategy found so far, by Sharpe ratio."""

    strategy: Strategy | None = None
    result: dict[str, float] | None = None
    iteration: int | None = None


def update_champion(champion: Champion, population: PopulationManager, iteration: int, monitoring: Any) -> None:
    """The champion update logic: crown the population's best when it beats the champion,
    and tell finmon (which resets champion_staleness_iterations)."""
    leader = population.best()
    if leader is None:
        return
    strategy, result = leader
    if champion.result is None or result["sharpe"] > champion.result["sharpe"]:
        old = champion.result["sharpe"] if champion.result is not None else None
        monitoring.record_champion_update(iteration, old, result["sharpe"])
        champion.strategy, champion.result, champion.iteration = strategy, result, iteration


def progress_line(report: IterationReport, iterations: int) -> str:
    def number(value: float | None, spec: str) -> str:
        return format(value, spec) if value is not None else "-".rjust(len(format(0.0, spec)))

    rate = f"{report.success_rate:4.0%}" if report.success_rate is not None else "   -"
    middle = f"FAILED: {report.failed}" if report.failed else f"best Sharpe {number(report.best_sharpe, '6.3f')}"
    age = f"{report.champion_age:>3}" if report.champion_age is not None else "  -"
    line = (f"iter {report.iteration:>4}/{iterations} | {middle} | champion {number(report.champion_sharpe, '6.3f')}"
            f" age {age} | diversity {report.diversity:.3f} | unique {report.unique:>3}/{report.total}"
            f" | success {rate} | {report.seconds:.3f} s")
    return line + (" | COLLAPSE" if report.collapsed else "")


def run(args: argparse.Namespace, monitoring: Any, executor: Any,
        on_iteration: Callable[[IterationReport], None] | None = None,
        population: PopulationManager | None = None) -> tuple[PopulationManager, Champion]:
    """The loop itself; returns the final population and champion. KeyboardInterrupt propagates.

    ``monitoring`` is what ``finmon.start`` returns; ``executor`` backtests (DockerExecutor
    or LocalExecutor); ``population`` defaults to a new one from the arguments.
    """
    if population is None:
        population = PopulationManager(args.population, random.Random(args.seed), monitoring,
                                       mutation_scale=MUTATION_SCALE[args.mode])
    # Fault injection draws from its own generator so --failure-rate does not change
    # which strategies the search tries, only which iterations crash.
    failures = random.Random(args.seed ^ 0x5EED)
    champion = Champion()
    collapse = finmon.DiversityMonitor(monitoring.collector)
    rule = monitoring.config.monitoring.alerts.diversity_collapse  # what the alert evaluates
    for iteration in range(1, args.iterations + 1):
        failed: str | None = None
        best: tuple[Strategy, dict[str, float]] | None = None
        fault = "crash" if failures.random() < args.failure_rate else None
        try:
            with monitoring.iteration(iteration) as it:
                children = population.offspring()
                new = population.unevaluated(children)
                results = executor.backtest([s.parameters for s in new], args.seed, args.days, fault)
                population.record_results(new, results)
                population.advance(children)
                best = population.best(children)
                if best is None:
                    failed = "no offspring produced a valid backtest"
                    it.fail()
                else:
                    it.result(sharpe=best[1]["sharpe"], max_drawdown=best[1]["max_drawdown"])
        except SandboxError as error:
            failed = str(error)  # recorded as a failure by monitoring.iteration; the loop goes on

        spread, unique, total = population.record_diversity(iteration)
        update_champion(champion, population, iteration, monitoring)

        report = IterationReport(
            iteration=iteration, failed=failed, best_sharpe=best[1]["sharpe"] if best else None,
            champion_sharpe=champion.result["sharpe"] if champion.result else None,
            champion_age=iteration - champion.iteration if champion.iteration is not None else None,
            diversity=spread, unique=unique, total=total, success_rate=monitoring.collector.success_rate,
            seconds=it.elapsed or 0.0, collapsed=collapse.check_diversity_collapse(rule.window, rule.threshold), port=monitoring.port)
        print(progress_line(report, args.iterations), flush=True)
        if on_iteration is not None:
            on_iteration(report)
        if args.iteration_delay > 0 and iteration < args.iterations:
            time.sleep(args.iteration_delay)
    return population, champion


# ---- command line ------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="A small strategy-evolution loop instrumented with finmon.",
        epilog="Metrics: http://127.0.0.1:PORT/metrics while it runs.")
    parser.add_argument("--iterations", type=int, default=50, help="generations to run (default 50)")
    parser.add_argument("--population", type=int, default=20, help="strategies per generation (default 20)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the price series and the search (default 42)")
    parser.add_argument("--days", type=int, default=2520, help="trading days in the price series (default 2520)")
    parser.add_argument("--port", type=int, default=8000, help="exporter port; 0 picks a free one (default 8000)")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--converge", dest="mode", action="store_const", const="converge",
                       help="mutation 1%% of each range: selection converges, diversity collapses")
    modes.add_argument("--collapse", dest="mode", action="store_const", const="collapse",
                       help="mutation off: diversity collapses and the champion goes stale")
    parser.set_defaults(mode="explore")
    parser.add_argument("--no-containers", action="store_true",
                        help="backtest in this process instead of sandbox containers (no engine needed)")
    parser.add_argument("--image", default="finlab-sandbox:latest", help="sandbox image (default finlab-sandbox:latest)")
    parser.add_argument("--strategies-per-sandbox", type=int, default=6,
                        help="backtests per sandbox container (default 6)")
    parser.add_argument("--sandbox-timeout", type=float, default=60.0, help="seconds before a sandbox is killed")
    parser.add_argument("--failure-rate", type=float, default=0.0,
                        help="probability that an iteration's sandbox crashes (default 0)")
    parser.add_argument("--cleanup-failure-rate", type=float, default=0.0,
                        help="probability that removing a sandbox fails, leaving an orphan (default 0)")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG),
                        help="monitoring_config.yaml (default: the repository's config/monitoring_config.yaml)")
    parser.add_argument("--iteration-delay", type=float, default=0.0,
                        help="seconds to pause between iterations, to watch it live (default 0)")
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    if args.population < 4:
        parser.error("--population must be at least 4")
    if args.days < 60:
        parser.error("--days must be at least 60")
    if args.strategies_per_sandbox < 1:
        parser.error("--strategies-per-sandbox must be at least 1")
    for name in ("failure_rate", "cleanup_failure_rate"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            parser.error(f"--{name.replace('_', '-')} must be in [0, 1]")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be in 0..65535")
    if not (args.iteration_delay >= 0 and math.isfinite(args.iteration_delay)):
        parser.error("--iteration-delay must be a finite number >= 0")
    return args


def connect_engine() -> docker.DockerClient | None:
    """docker-py's client for DOCKER_HOST (or the default socket), if an engine answers."""
    try:
        client = docker.from_env(version="1.41", timeout=30)
        client.ping()
        return client
    except (docker.errors.DockerException, *ENGINE_ERRORS) as error:
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        print(f"no container engine answers at {host} ({error}).\n"
              "Start one (scripts/run.sh starts podman for you) or pass --no-containers.", file=sys.stderr)
        return None


def make_executor(args: argparse.Namespace, client: docker.DockerClient | None, monitoring: Any) -> Any:
    if client is None:
        return LocalExecutor()
    # Sandboxes carry the label the container monitor watches.
    options: dict[str, Any] = dict(image=args.image, timeout=args.sandbox_timeout,
                                   label=monitoring.config.monitoring.container_monitor.label,
                                   strategies_per_sandbox=args.strategies_per_sandbox)
    if args.cleanup_failure_rate > 0:
        return FlakyRemovalExecutor(client, monitoring, failure_rate=args.cleanup_failure_rate, seed=args.seed,
                                    **options)
    return DockerExecutor(client, monitoring, **options)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None,
         on_iteration: Callable[[IterationReport], None] | None = None) -> int:
    """Run the loop; returns the exit status: 0 on completion, on Ctrl-C / SIGTERM, and
    when the reader of stdout goes away; 2 when no engine answers (without --no-containers)."""
    args = parse_args(argv)
    client = None if args.no_containers else connect_engine()
    if client is None and not args.no_containers:
        return 2
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main_thread else None
    monitoring = finmon.start(args.config, port=args.port, docker_client=client, enable_containers=client is not None)
    executor: Any = None
    if monitoring.collector is None:
        print("finmon: monitoring.enabled is false in the config; nothing to show", flush=True)
        monitoring.stop()
        return 0
    try:
        if monitoring.port is None:
            print(f"finmon: port {args.port} is busy; metrics export disabled until it frees up", flush=True)
        else:
            print(f"finmon: serving metrics on http://127.0.0.1:{monitoring.port}/metrics", flush=True)
        where = "in this process" if client is None else f"in {args.image} sandboxes"
        print(f"evolving {args.population} strategies for {args.iterations} iterations, seed {args.seed}, "
              f"mode {args.mode}, backtests {where}", flush=True)
        executor = make_executor(args, client, monitoring)
        _, champion = run(args, monitoring, executor, on_iteration)
        if champion.strategy is not None and champion.result is not None:
            print(f"done: champion Sharpe {champion.result['sharpe']:.3f}, max drawdown "
                  f"{champion.result['max_drawdown']:.1%}, {champion.result['trades']} trades, "
                  f"found at iteration {champion.iteration}: {champion.strategy}", flush=True)
        else:
            print("done: no valid strategy found", flush=True)
    except KeyboardInterrupt:
        print("interrupted: stopping", flush=True)
    except BrokenPipeError:
        # The reader of stdout went away (`... | head`): stop as on Ctrl-C, without a
        # traceback, and keep Python's exit-time flush from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave threads behind.
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
        try:
            if isinstance(executor, DockerExecutor):
                left = executor.remove_leftovers()
                if left:
                    print(f"removed {left} sandbox container(s) left behind", flush=True)
            monitoring.stop()  # joins finmon's threads and writes the final record
            export = monitoring.config.monitoring.export
            if export.enabled:
                folder = Path(export.directory).resolve()
                print(f"final record: {folder / export.final_metrics_path}, {folder / export.prometheus_snapshot_path}",
                      flush=True)
        finally:
            if client is not None:
                client.close()
            if in_main_thread:
                signal.signal(signal.SIGINT, previous_int)
                signal.signal(signal.SIGTERM, previous_term)
    return 0


if __name__ == "__main__":
    sys.exit(main())
