"""The population of strategies: selection, crossover, mutation, elitism, and its diversity.

The original design's "Population Manager" integration point: after each generation the
manager measures how spread out its population is in the search space and reports it to
finmon (``record_diversity``), where the diversity_collapse alert watches it.

Diversity is computed from the strategies' parameters with ``finmon.diversity.compute``,
passing the search space's bounds (``BOUNDS``): each parameter is scaled by the range the
search may explore, so a population that converged into a corner of the space scores
near 0 even though its members still differ. Unique strategies are counted by
fingerprint (rules that trade identically count once).

Example:
    >>> import random
    >>> manager = PopulationManager(size=8, rng=random.Random(1))
    >>> len(manager.population), 0.0 < manager.diversity() <= 1.0
    (8, True)
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from finmon import diversity

from backtest import Result

__all__ = ["BOUNDS", "DiversityHooks", "PopulationManager", "Strategy", "make_strategy"]

#: The search space: (lower, upper) of each parameter, in Strategy's field order.
BOUNDS: tuple[tuple[float, float], ...] = ((2, 50), (10, 200), (0.0, 0.05), (0.02, 0.30))
MIN_GAP = 5  # the slow average is at least this many days longer than the fast one


@dataclass(frozen=True)
class Strategy:
    """The parameters of the moving-average crossover rule (see backtest.py)."""

    fast: int
    slow: int
    threshold: float
    stop_loss: float

    @property
    def parameters(self) -> tuple[float, float, float, float]:
        return (self.fast, self.slow, self.threshold, self.stop_loss)

    def fingerprint(self) -> str:
        """Equal for strategies that trade identically (the rounding the rule can see)."""
        return f"{self.fast}:{self.slow}:{self.threshold:.4f}:{self.stop_loss:.4f}"


def make_strategy(values: Sequence[float]) -> Strategy:
    """Clip raw values into ``BOUNDS`` and the rule's constraints."""
    clipped = [min(max(v, lo), hi) for v, (lo, hi) in zip(values, BOUNDS)]
    fast = int(round(clipped[0]))
    slow = max(int(round(clipped[1])), fast + MIN_GAP)
    return Strategy(fast, min(slow, int(BOUNDS[1][1])), round(clipped[2], 4), round(clipped[3], 4))


class DiversityHooks(Protocol):
    """finmon's diversity hook: what ``finmon.start()`` returns, or a DiversityMonitor."""

    def record_diversity(self, iteration: int, diversity: float, unique_count: int, total_count: int) -> None: ...


class PopulationManager:
    """A fixed-size population evolved by tournament selection, uniform crossover and
    Gaussian mutation, keeping the ``elite`` best of each generation.

    Each child's parameter mutates with probability ``mutation_rate``, by a Gaussian whose
    standard deviation is ``mutation_scale`` times the parameter's range: 0.2 keeps
    exploring (diversity stays around 0.2-0.3), 0.01 lets selection pull the population
    into one point within a few generations (the example's ``--converge``: diversity under
    0.1), 0 turns mutation off (``--collapse``).
    """

    def __init__(self, size: int, rng: random.Random, monitoring: DiversityHooks | None = None, *,
                 elite: int = 2, tournament: int = 3, mutation_rate: float = 0.5,
                 mutation_scale: float = 0.2) -> None:
        self.size = size
        self.rng = rng
        self.monitoring = monitoring
        self.elite = elite
        self.tournament = tournament
        self.mutation_rate = mutation_rate
        self.mutation_scale = mutation_scale
        self.results: dict[Strategy, Result] = {}
        self.population = [make_strategy([rng.uniform(lo, hi) for lo, hi in BOUNDS]) for _ in range(size)]

    # ---- evolution -----------------------------------------------------------------

    def offspring(self) -> list[Strategy]:
        """The next generation's children (all but the elite slots)."""
        return [self._breed() for _ in range(self.size - self.elite)]

    def unevaluated(self, strategies: Sequence[Strategy]) -> list[Strategy]:
        """The strategies never backtested, each once, in order."""
        return list(dict.fromkeys(s for s in strategies if s not in self.results))

    def record_results(self, strategies: Sequence[Strategy], results: Sequence[Result]) -> None:
        self.results.update(zip(strategies, results))

    def advance(self, children: Sequence[Strategy]) -> None:
        """Replace the population by its elite and ``children`` (all backtested)."""
        elites = sorted(self.population, key=self.rank, reverse=True)[:self.elite]
        self.population = elites + list(children)

    def best(self, strategies: Sequence[Strategy] | None = None) -> tuple[Strategy, dict[str, float]] | None:
        """The best backtested strategy (of the population by default) and its result."""
        scored = [(s, self.results.get(s)) for s in (self.population if strategies is None else strategies)]
        valid = [(s, r) for s, r in scored if r is not None]
        return max(valid, key=lambda pair: self.rank(pair[0])) if valid else None

    def rank(self, strategy: Strategy) -> tuple[float, ...]:
        """Sharpe ratio first (no valid result ranks last); between equal Sharpe ratios the
        shorter windows and smaller thresholds, so selection is a strict order."""
        result = self.results.get(strategy)
        sharpe = result["sharpe"] if result is not None else -math.inf
        return (sharpe, -strategy.fast, -strategy.slow, -strategy.threshold, -strategy.stop_loss)

    # ---- diversity -----------------------------------------------------------------

    def diversity(self) -> float:
        """Spread of the population in the search space, 0 (one point) to 1."""
        return diversity.compute([s.parameters for s in self.population], bounds=BOUNDS)

    def unique_count(self) -> int:
        return diversity.unique_count([s.fingerprint() for s in self.population])

    def record_diversity(self, iteration: int) -> tuple[float, int, int]:
        """Measure the population and report it to finmon; returns (diversity, unique, total)."""
        spread, unique, total = self.diversity(), self.unique_count(), len(self.population)
        if self.monitoring is not None:
            self.monitoring.record_diversity(iteration, spread, unique, total)
        return spread, unique, total

    # ---- internals -----------------------------------------------------------------

    def _select(self) -> Strategy:
        contenders = [self.rng.choice(self.population) for _ in range(self.tournament)]
        return max(contenders, key=self.rank)

    def _breed(self) -> Strategy:
        mother, father = self._select(), self._select()
        genes = [m if self.rng.random() < 0.5 else f for m, f in zip(mother.parameters, father.parameters)]
        if self.mutation_scale > 0:
            genes = [g + self.rng.gauss(0.0, self.mutation_scale) * (hi - lo)
                     if self.rng.random() < self.mutation_rate else g
                     for g, (lo, hi) in zip(genes, BOUNDS)]
        return make_strategy(genes)
