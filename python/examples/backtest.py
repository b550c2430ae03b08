"""The backtest that runs inside a sandbox container: standard library only.

The image built by ``scripts/setup.sh`` holds Debian's Python and nothing else, so this
file imports nothing outside the standard library. The sandbox runs it as::

    python3 -I /sandbox/backtest.py '{"seed": 42, "days": 2520, "strategies": [[10, 50, 0.01, 0.1]]}'

and reads one JSON object from its standard output: ``{"results": [...]}``, one entry per
strategy, ``{"sharpe": ..., "max_drawdown": ..., "trades": ...}`` or ``null`` when the
result is not a valid measurement (the rule never trades, or its returns are constant).
``"fault": "crash"`` in the request makes it exit with status 3, ``"fault": "hang"``
makes it sleep past any sane timeout: the failures a sandbox must survive, for the
example's fault injection.

The market is a price series generated from the seed (geometric Brownian motion whose
drift and volatility switch between regimes), so host and sandbox see the same prices
without shipping data. The rule is a long/flat moving-average crossover: hold while the
fast average is above the slow one by more than ``threshold``, with a stop-loss that
exits when the price falls ``stop_loss`` below the entry and waits for the next crossover.

Example:
    >>> market = Market(synthetic_prices(1, days=300))
    >>> result = market.backtest((5, 20, 0.0, 0.1))
    >>> result is not None and result["trades"] > 0
    True
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections.abc import Sequence
from typing import Any, Optional

TRADING_DAYS = 252
#: Trading cost per position change, as a fraction of the price.
COST = 0.0005
#: Fewer round trips than this in the whole series are not a measurement.
MIN_TRADES = 10
#: (annual drift, annual volatility) of the regimes the price series moves through.
REGIMES = ((0.25, 0.15), (-0.30, 0.35), (0.02, 0.10), (0.10, 0.25))

#: (fast window, slow window, threshold, stop loss): the parameters of one rule.
Rule = Sequence[float]
#: What one backtest returns: sharpe, max_drawdown (a negative fraction), trades.
Result = Optional[dict[str, float]]


def synthetic_prices(seed: int, days: int = 2520, start: float = 100.0) -> list[float]:
    """A price series whose drift and volatility switch between ``REGIMES`` every 40-160
    days, so trend-following rules have something to find. Same seed, same prices.

    >>> prices = synthetic_prices(1, days=10)
    >>> len(prices), all(p > 0 for p in prices)
    (10, True)
    """
    rng = random.Random(seed)
    dt = 1.0 / TRADING_DAYS
    prices: list[float] = []
    level = math.log(start)
    while len(prices) < days:
        drift, volatility = REGIMES[rng.randrange(len(REGIMES))]
        mean, sigma = (drift - volatility ** 2 / 2) * dt, volatility * math.sqrt(dt)
        for _ in range(min(rng.randint(40, 160), days - len(prices))):
            level += rng.gauss(mean, sigma)
            prices.append(math.exp(level))
    return prices


class Market:
    """A price series with the moving averages the rules ask for, each computed once."""

    def __init__(self, prices: list[float]) -> None:
        self.prices = prices
        self.returns = [b / a - 1.0 for a, b in zip(prices, prices[1:])]
        self._sums = [0.0]
        for price in prices:
            self._sums.append(self._sums[-1] + price)
        self._averages: dict[int, list[float]] = {}

    def moving_average(self, window: int) -> list[float]:
        """Trailing mean over ``window`` days; NaN until the window is full."""
        cached = self._averages.get(window)
        if cached is None:
            sums = self._sums
            cached = [math.nan] * (window - 1) + [
                (sums[day + 1] - sums[day + 1 - window]) / window for day in range(window - 1, len(self.prices))]
            self._averages[window] = cached
        return cached

    def backtest(self, rule: Rule) -> Result:
        """Sharpe ratio, max drawdown and trades of the rule; None when not measurable."""
        fast_window, slow_window, threshold, stop_loss = int(rule[0]), int(rule[1]), rule[2], rule[3]
        fast, slow = self.moving_average(fast_window), self.moving_average(slow_window)
        prices, returns = self.prices, self.returns
        holding = stopped = False  # after a stop-loss, wait for the signal to turn off and on
        entry = 0.0
        trades = 0
        daily: list[float] = []
        # Decided at the close of day t, held over day t -> t + 1.
        for day in range(len(prices) - 1):
            price = prices[day]
            signal_on = fast[day] > slow[day] * (1.0 + threshold)  # NaN compares False
            was_holding = holding
            if holding and price < entry * (1.0 - stop_loss):
                holding, stopped = False, True
            elif holding and not signal_on:
                holding = False
            elif not holding:
                if not signal_on:
                    stopped = False
                elif not stopped:
                    holding, entry = True, price
                    trades += 1
            cost = COST if holding != was_holding else 0.0
            daily.append((returns[day] if holding else 0.0) - cost)
        mean = sum(daily) / len(daily)
        deviation = math.sqrt(sum((r - mean) ** 2 for r in daily) / len(daily))
        if trades < MIN_TRADES or deviation <= 1e-12:
            return None
        equity = peak = 1.0
        drawdown = 0.0
        for r in daily:
            equity *= 1.0 + r
            peak = max(peak, equity)
            drawdown = min(drawdown, equity / peak - 1.0)
        return {"sharpe": mean / deviation * math.sqrt(TRADING_DAYS), "max_drawdown": drawdown, "trades": trades}


def run(request: dict[str, Any]) -> list[Result]:
    """Backtest every rule of a request (``seed``, ``days``, ``strategies``)."""
    market = Market(synthetic_prices(int(request["seed"]), int(request.get("days", 2520))))
    return [market.backtest(rule) for rule in request["strategies"]]


def main(argv: Sequence[str]) -> int:
    request = json.loads(argv[1])
    fault = request.get("fault")
    if fault == "crash":
        print("backtest: simulated crash", file=sys.stderr)
        return 3
    if fault == "hang":
        time.sleep(3600)
    json.dump({"results": run(request)}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
