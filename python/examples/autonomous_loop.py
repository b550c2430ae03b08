"""A small autonomous strategy-evolution loop, instrumented with finmon.

What it does, every iteration (one generation):
  1. breeds offspring from the population: tournament selection, uniform crossover and
     Gaussian mutation of the parameters of a trading rule;
  2. backtests each offspring on a synthetic price series (geometric Brownian motion with
     regime shifts, generated from --seed) and scores it by its annualised Sharpe ratio;
  3. keeps the best strategies (elitism) and crowns a champion when one beats it;
  4. measures the population's diversity with finmon.diversity and reports everything to
     finmon: the iteration's outcome (timed by ``collector.iteration``), diversity, unique
     strategies, champion updates; the exporter serves it all on /metrics.

The trading rule is a long/flat moving-average crossover: hold the asset while the fast
average is above the slow one by more than ``threshold``, with a stop-loss that exits
when the price falls ``stop_loss`` below the entry and waits for the next crossover.

Watch it:
    python python/examples/autonomous_loop.py --iteration-delay 0.5      # then open :8000/metrics
    python python/examples/autonomous_loop.py --collapse                 # mutation off: diversity
                                                                         # collapses, champion goes stale
    python python/examples/autonomous_loop.py --failure-rate 0.4         # injected sandbox failures

It stops after --iterations, or on Ctrl-C (SIGINT) or SIGTERM, and always stops and
closes the collector; both exit with status 0.
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
from pathlib import Path
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from types import FrameType

import numpy as np

import finmon
from finmon import diversity

TRADING_DAYS = 252
#: Trading cost per position change, as a fraction of the price.
COST = 0.0005

# ---- the market --------------------------------------------------------------------

#: (annual drift, annual volatility) of the regimes the price series moves through.
REGIMES: tuple[tuple[float, float], ...] = ((0.25, 0.15), (-0.30, 0.35), (0.02, 0.10), (0.10, 0.25))


def synthetic_prices(seed: int, days: int = 1260, start: float = 100.0) -> np.ndarray:
    """A price series: geometric Brownian motion whose drift and volatility switch between
    ``REGIMES`` every 40-160 days, so trend-following rules have something to find.

    >>> prices = synthetic_prices(1, days=10)
    >>> prices.shape, bool(np.all(prices > 0))
    ((10,), True)
    """
    rng = np.random.default_rng(seed)
    log_returns = np.empty(days)
    day = 0
    while day < days:
        length = min(int(rng.integers(40, 161)), days - day)
        drift, volatility = REGIMES[int(rng.integers(len(REGIMES)))]
        dt = 1.0 / TRADING_DAYS
        log_returns[day:day + length] = rng.normal((drift - volatility**2 / 2) * dt,
                                                   volatility * math.sqrt(dt), size=length)
        day += length
    return start * np.exp(np.cumsum(log_returns))


# ---- strategies --------------------------------------------------------------------


@dataclass(frozen=True)
class Strategy:
    """The parameters of the moving-average crossover rule."""

    fast: int
    slow: int
    threshold: float
    stop_loss: float

    def fingerprint(self) -> str:
        """Equal for strategies that trade identically (the rounding the rule can see)."""
        return f"{self.fast}:{self.slow}:{self.threshold:.4f}:{self.stop_loss:.4f}"


#: Bounds of each parameter, in Strategy's field order.
BOUNDS: tuple[tuple[float, float], ...] = ((2, 50), (10, 200), (0.0, 0.05), (0.02, 0.30))
MIN_GAP = 5  # the slow average is at least this many days longer than the fast one


def make_strategy(values: Sequence[float]) -> Strategy:
    """Clip raw values into ``BOUNDS`` and the rule's constraints."""
    clipped = [min(max(v, lo), hi) for v, (lo, hi) in zip(values, BOUNDS)]
    fast = int(round(clipped[0]))
    slow = max(int(round(clipped[1])), fast + MIN_GAP)
    return Strategy(fast, min(slow, int(BOUNDS[1][1])), round(clipped[2], 4), round(clipped[3], 4))


def random_strategy(rng: random.Random) -> Strategy:
    return make_strategy([rng.uniform(lo, hi) for lo, hi in BOUNDS])


def normalised(strategy: Strategy) -> list[float]:
    """The parameters scaled to [0, 1] by their bounds: the vector diversity is computed on."""
    values = (strategy.fast, strategy.slow, strategy.threshold, strategy.stop_loss)
    return [(v - lo) / (hi - lo) for v, (lo, hi) in zip(values, BOUNDS)]


# ---- backtest ----------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestResult:
    sharpe: float
    max_drawdown: float  # a negative fraction: -0.2 is a 20% fall from the peak
    trades: int


class Market:
    """A price series with the moving averages the population asks for, each computed once."""

    def __init__(self, prices: np.ndarray) -> None:
        self.prices = prices
        self.returns = np.diff(prices) / prices[:-1]
        self._averages: dict[int, np.ndarray] = {}

    def moving_average(self, window: int) -> np.ndarray:
        """Trailing mean over ``window`` days; NaN until the window is full."""
        cached = self._averages.get(window)
        if cached is None:
            sums = np.cumsum(np.insert(self.prices, 0, 0.0))
            cached = np.full(len(self.prices), np.nan)
            cached[window - 1:] = (sums[window:] - sums[:-window]) / window
            self._averages[window] = cached
        return cached

    def backtest(self, strategy: Strategy) -> BacktestResult | None:
        """Daily returns of the rule, its Sharpe ratio and max drawdown; None when the
        result is not a valid measurement (it never trades, or its returns are constant)."""
        fast = self.moving_average(strategy.fast)
        slow = self.moving_average(strategy.slow)
        with np.errstate(invalid="ignore"):
            signal_on = fast > slow * (1.0 + strategy.threshold)  # NaN compares False
        prices = self.prices
        position = np.zeros(len(prices) - 1)
        holding = False
        stopped = False  # after a stop-loss, wait for the signal to turn off and on again
        entry = 0.0
        trades = 0
        # Decided at the close of day t, held over day t -> t + 1.
        for day in range(len(prices) - 1):
            price = prices[day]
            if holding and price < entry * (1.0 - strategy.stop_loss):
                holding, stopped = False, True
            elif holding and not signal_on[day]:
                holding = False
            elif not holding:
                if not signal_on[day]:
                    stopped = False
                elif not stopped:
                    holding, entry = True, price
                    trades += 1
            position[day] = 1.0 if holding else 0.0
        changes = np.abs(np.diff(np.insert(position, 0, 0.0)))
        daily = position * self.returns - COST * changes
        deviation = float(np.std(daily))
        if trades == 0 or deviation <= 1e-12:
            return None
        sharpe = float(np.mean(daily)) / deviation * math.sqrt(TRADING_DAYS)
        equity = np.cumprod(1.0 + daily)
        drawdown = float(np.min(equity / np.maximum.accumulate(equity) - 1.0))
        return BacktestResult(sharpe, min(drawdown, 0.0), trades)


# ---- evolution ---------------------------------------------------------------------


class SandboxCrash(RuntimeError):
    """An injected failure (--failure-rate), standing in for a crashed backtest sandbox."""


@dataclass
class Evolution:
    """The population, its scores, and the champion."""

    market: Market
    rng: random.Random
    population_size: int
    mutation: bool = True
    elite: int = 2
    tournament: int = 3
    mutation_rate: float = 0.3
    mutation_scale: float = 0.1  # Gaussian sigma as a fraction of each parameter's range

    def __post_init__(self) -> None:
        self._cache: dict[Strategy, BacktestResult | None] = {}
        self.population = [random_strategy(self.rng) for _ in range(self.population_size)]
        self.champion: Strategy | None = None
        self.champion_result: BacktestResult | None = None
        self.champion_iteration: int | None = None

    def evaluate(self, strategy: Strategy) -> BacktestResult | None:
        if strategy not in self._cache:
            self._cache[strategy] = self.market.backtest(strategy)
        return self._cache[strategy]

    def rank(self, strategy: Strategy) -> tuple[float, ...]:
        """Sharpe ratio first (an invalid backtest ranks last); between equal Sharpe ratios
        (rules that trade identically) the shorter windows and smaller thresholds, so
        selection is a strict order and ties do not drift at random."""
        result = self.evaluate(strategy)
        sharpe = result.sharpe if result is not None else -math.inf
        return (sharpe, -strategy.fast, -strategy.slow, -strategy.threshold, -strategy.stop_loss)

    def select_parent(self) -> Strategy:
        contenders = [self.rng.choice(self.population) for _ in range(self.tournament)]
        return max(contenders, key=self.rank)

    def breed(self) -> Strategy:
        mother, father = self.select_parent(), self.select_parent()
        genes = [m if self.rng.random() < 0.5 else f
                 for m, f in zip(normalised(mother), normalised(father))]
        if self.mutation:
            genes = [g + self.rng.gauss(0.0, self.mutation_scale) if self.rng.random() < self.mutation_rate else g
                     for g in genes]
        return make_strategy([lo + g * (hi - lo) for g, (lo, hi) in zip(genes, BOUNDS)])

    def step(self) -> tuple[Strategy, BacktestResult] | None:
        """One generation: breed, backtest, keep the best. Returns the best offspring and
        its result, or None when no offspring produced a valid backtest."""
        offspring = [self.breed() for _ in range(self.population_size - self.elite)]
        scored = [(child, self.evaluate(child)) for child in offspring]
        elites = sorted(self.population, key=self.rank, reverse=True)[:self.elite]
        self.population = elites + offspring
        valid = [(child, result) for child, result in scored if result is not None]
        if not valid:
            return None
        return max(valid, key=lambda pair: self.rank(pair[0]))

    def best(self) -> tuple[Strategy, BacktestResult] | None:
        scored = [(s, self.evaluate(s)) for s in self.population]
        valid = [(s, r) for s, r in scored if r is not None]
        return max(valid, key=lambda pair: self.rank(pair[0])) if valid else None


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


def progress_line(report: IterationReport, iterations: int) -> str:
    def number(value: float | None, spec: str) -> str:
        return format(value, spec) if value is not None else "-".rjust(len(format(0.0, spec)))

    rate = f"{report.success_rate:4.0%}" if report.success_rate is not None else "   -"
    head = f"iter {report.iteration:>4}/{iterations}"
    if report.failed:
        middle = f"FAILED: {report.failed}"
    else:
        middle = f"best Sharpe {number(report.best_sharpe, '6.3f')}"
    age = f"{report.champion_age:>3}" if report.champion_age is not None else "  -"
    line = (f"{head} | {middle} | champion {number(report.champion_sharpe, '6.3f')} age {age}"
            f" | diversity {report.diversity:.3f} | unique {report.unique:>3}/{report.total}"
            f" | success {rate} | {report.seconds:.3f} s")
    return line + (" | COLLAPSE" if report.collapsed else "")


#: ``sandbox(iteration, evolution)``: a context the generation's backtests run inside
#: (e.g. a sandbox container); raising SandboxCrash in it fails the iteration.
Sandbox = Callable[[int, Evolution], AbstractContextManager[object]]


def run(args: argparse.Namespace, collector: finmon.MetricsCollector, port: int | None,
        on_iteration: Callable[[IterationReport], None] | None = None,
        sandbox: Sandbox | None = None) -> Evolution:
    """The loop itself; returns the final state. KeyboardInterrupt propagates.

    ``sandbox``, when given, wraps each generation's backtests (the command line runs
    them in-process, without one).
    """
    evolution = Evolution(Market(synthetic_prices(args.seed)), random.Random(args.seed),
                          args.population, mutation=not args.collapse)
    # Failure injection draws from its own generator so --failure-rate does not change
    # which strategies the search tries, only which iterations crash.
    failures = random.Random(args.seed ^ 0x5EED)
    monitor = finmon.DiversityMonitor(collector)
    for iteration in range(1, args.iterations + 1):
        failed: str | None = None
        best: tuple[Strategy, BacktestResult] | None = None
        try:
            with collector.iteration(iteration) as it:
                if failures.random() < args.failure_rate:
                    raise SandboxCrash("simulated sandbox failure")
                with sandbox(iteration, evolution) if sandbox is not None else nullcontext():
                    best = evolution.step()
                if best is None:
                    failed = "no offspring produced a valid backtest"
                    it.fail()
                else:
                    it.result(sharpe=best[1].sharpe, max_drawdown=best[1].max_drawdown)
        except SandboxCrash as crash:
            failed = str(crash)  # recorded as a failure by collector.iteration; the loop goes on

        vectors = [normalised(s) for s in evolution.population]
        fingerprints = [s.fingerprint() for s in evolution.population]
        spread = diversity.compute(vectors)
        unique = diversity.unique_count(fingerprints)
        monitor.record_diversity(iteration, spread, unique, len(fingerprints))

        leader = evolution.best()
        if leader is not None and (evolution.champion_result is None
                                   or leader[1].sharpe > evolution.champion_result.sharpe):
            old = evolution.champion_result.sharpe if evolution.champion_result else None
            monitor.record_champion_update(iteration, old, leader[1].sharpe)
            evolution.champion, evolution.champion_result = leader
            evolution.champion_iteration = iteration

        report = IterationReport(
            iteration=iteration, failed=failed,
            best_sharpe=best[1].sharpe if best else None,
            champion_sharpe=evolution.champion_result.sharpe if evolution.champion_result else None,
            champion_age=(iteration - evolution.champion_iteration
                          if evolution.champion_iteration is not None else None),
            diversity=spread, unique=unique, total=len(fingerprints),
            success_rate=collector.success_rate, seconds=it.elapsed or 0.0,
            collapsed=monitor.check_diversity_collapse(), port=port)
        print(progress_line(report, args.iterations), flush=True)
        if on_iteration is not None:
            on_iteration(report)
        if args.iteration_delay > 0 and iteration < args.iterations:
            time.sleep(args.iteration_delay)
    return evolution


DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "monitoring_config.yaml"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="A small strategy-evolution loop instrumented with finmon.",
        epilog="Metrics: http://127.0.0.1:PORT/metrics while it runs.")
    parser.add_argument("--iterations", type=int, default=50, help="generations to run (default 50)")
    parser.add_argument("--population", type=int, default=20, help="strategies per generation (default 20)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the price series and the search (default 42)")
    parser.add_argument("--port", type=int, default=8000, help="exporter port; 0 picks a free one (default 8000)")
    parser.add_argument("--collapse", action="store_true",
                        help="turn mutation off, so diversity collapses and the champion goes stale")
    parser.add_argument("--failure-rate", type=float, default=0.0,
                        help="probability that an iteration's sandbox crashes (default 0)")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG),
                        help="monitoring_config.yaml (default: the repository's config/monitoring_config.yaml)")
    parser.add_argument("--iteration-delay", type=float, default=0.0,
                        help="seconds to pause between iterations, to watch it live (default 0)")
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    if args.population < 4:
        parser.error("--population must be at least 4")
    if not 0.0 <= args.failure_rate <= 1.0:
        parser.error("--failure-rate must be in [0, 1]")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be in 0..65535")
    if not (args.iteration_delay >= 0 and math.isfinite(args.iteration_delay)):
        parser.error("--iteration-delay must be a finite number >= 0")
    return args


def _engine_reachable() -> bool:
    """Watch sandbox containers only where a Docker-compatible engine answers here."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return host.startswith("unix://") and os.path.exists(host[len("unix://"):])


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None,
         on_iteration: Callable[[IterationReport], None] | None = None) -> int:
    """Run the loop; returns the exit status: 0 on completion, on Ctrl-C / SIGTERM, and
    when the reader of stdout goes away."""
    args = parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main_thread else None
    monitoring = finmon.start(args.config, port=args.port, enable_containers=_engine_reachable())
    if monitoring.collector is None:
        print("finmon: monitoring.enabled is false in the config; nothing to show", flush=True)
        monitoring.stop()
        return 0
    collector = monitoring.collector
    try:
        port = monitoring.port
        if port is None:
            print(f"finmon: port {args.port} is busy; metrics export disabled until it frees up", flush=True)
        else:
            print(f"finmon: serving metrics on http://127.0.0.1:{port}/metrics", flush=True)
        mode = "collapse (mutation off)" if args.collapse else "normal"
        print(f"evolving {args.population} strategies for {args.iterations} iterations, "
              f"seed {args.seed}, mode {mode}", flush=True)
        evolution = run(args, collector, port, on_iteration)
        champion, result = evolution.champion, evolution.champion_result
        if champion is not None and result is not None:
            print(f"done: champion Sharpe {result.sharpe:.3f}, max drawdown {result.max_drawdown:.1%}, "
                  f"{result.trades} trades, found at iteration {evolution.champion_iteration}: {champion}",
                  flush=True)
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
            monitoring.stop()  # joins finmon's threads and writes the final record
        finally:
            if in_main_thread:
                signal.signal(signal.SIGINT, previous_int)
                signal.signal(signal.SIGTERM, previous_term)
    return 0


if __name__ == "__main__":
    sys.exit(main())
