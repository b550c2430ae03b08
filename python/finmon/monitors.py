"""DiversityMonitor: the original design's interface over the library's diversity monitor.

Each method is one native call. The history (1,000 samples by default) lives in the
library, so ``check_diversity_collapse`` reads only the last ``window`` values there
instead of scanning a Python list.

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> monitor = finmon.DiversityMonitor(collector)
    >>> for iteration in range(5):
    ...     monitor.record_diversity(iteration, 0.05, unique_count=2, total_count=20)
    >>> monitor.check_diversity_collapse(window=5)
    True
    >>> monitor.record_champion_update(4, old_sharpe=None, new_sharpe=1.2)
    >>> monitor.calculate_staleness(current_iteration=9, last_update_iteration=4)
    5
    >>> collector.get_sample_value("champion_staleness_iterations")
    5.0
    >>> collector.close()
"""

from __future__ import annotations

import ctypes
from ctypes import c_int, c_int64
from typing import TYPE_CHECKING, Any

from . import _args, _native
from .errors import InvalidArgumentError

if TYPE_CHECKING:
    from .collector import MetricsCollector

__all__ = ["DiversityMonitor"]


def _default(name: str) -> Any:
    """The table's default for monitoring.alerts.diversity_collapse.<name>; the config
    module is imported on first use only (a loop that only records does not load it)."""
    from .config import default

    return default(f"monitoring.alerts.diversity_collapse.{name}")

_hot = _native.hot
_INT_MAX = 2**31 - 1


class DiversityMonitor:
    """Population diversity, champion updates, staleness and collapse for one collector.

    Writes ``population_diversity``, ``unique_strategy_count``, ``population_size``,
    ``champion_staleness_iterations``, ``champion_updates_total`` and
    ``champion_sharpe_ratio``. A value the hooks cannot use (NaN diversity, ``-inf`` for
    "no champion yet", a negative count) is skipped and counted, the rest recorded (see
    :class:`~finmon.MetricsCollector`); a strict collector raises
    :class:`~finmon.InvalidArgumentError` instead.
    """

    def __init__(self, collector: MetricsCollector, *, collapse_window: int | None = None,
                 collapse_threshold: float | None = None) -> None:
        self.collector = collector
        #: What :meth:`check_diversity_collapse` checks when not told: the config's
        #: ``diversity_collapse`` window and threshold (the design's 5 and 0.1 by default).
        self.collapse_window = collapse_window if collapse_window is not None else _default("window")
        self.collapse_threshold = collapse_threshold if collapse_threshold is not None else _default("threshold")

    def _int(self, value: object, what: str) -> int:
        return _args.hook_int64(value, what, self.collector)

    def record_diversity(self, iteration: int, diversity: float, unique_count: int, total_count: int) -> None:
        """Record the population's diversity at ``iteration``.

        ``diversity`` in [0, 1] (e.g. from :func:`finmon.diversity.compute`),
        ``0 <= unique_count <= total_count``; an iteration before the last one recorded is
        a loop restart.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     finmon.DiversityMonitor(collector).record_diversity(1, 0.5, 10, 20)
            ...     collector.get_sample_value("population_diversity")
            0.5
        """
        rc = _hot.finmon_diversity_record(
            self.collector._live_handle(), self._int(iteration, "iteration"),
            _args.real(diversity, "diversity"), self._int(unique_count, "unique_count"),
            self._int(total_count, "total_count"))
        if rc:
            _native.raise_last(rc)

    def record_champion_update(self, iteration: int, old_sharpe: float | None, new_sharpe: float) -> None:
        """Record that a new champion (Sharpe ratio ``new_sharpe``) replaced the old one.

        ``old_sharpe`` is None for the first champion. Resets the staleness to 0.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     finmon.DiversityMonitor(collector).record_champion_update(3, None, 1.1)
            ...     collector.get_sample_value("champion_updates_total")
            1.0
        """
        has_old = old_sharpe is not None
        rc = _hot.finmon_diversity_record_champion_update(
            self.collector._live_handle(), self._int(iteration, "iteration"), 1 if has_old else 0,
            _args.real(old_sharpe, "old_sharpe") if has_old else 0.0, _args.real(new_sharpe, "new_sharpe"))
        if rc:
            _native.raise_last(rc)

    def calculate_staleness(self, current_iteration: int, last_update_iteration: int) -> int:
        """``max(0, current_iteration - last_update_iteration)``, also exported as
        ``champion_staleness_iterations``.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     finmon.DiversityMonitor(collector).calculate_staleness(12, 4)
            8
        """
        out = c_int64()
        rc = _hot.finmon_diversity_staleness(
            self.collector._live_handle(), self._int(current_iteration, "current_iteration"),
            self._int(last_update_iteration, "last_update_iteration"), ctypes.byref(out))
        if rc:
            _native.raise_last(rc)
        return out.value

    def check_diversity_collapse(self, window: int | None = None, threshold: float | None = None) -> bool:
        """True when each of the last ``window`` recorded diversity values is below
        ``threshold``; False while fewer than ``window`` values were recorded. Unset, they
        are :attr:`collapse_window` and :attr:`collapse_threshold` (for a monitor of
        :func:`finmon.start`, the config's ``monitoring.alerts.diversity_collapse``).

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     finmon.DiversityMonitor(collector).check_diversity_collapse()
            False
        """
        if window is None:
            window = self.collapse_window
        if threshold is None:
            threshold = self.collapse_threshold
        size = _args.int64(window, "window")
        if not 1 <= size <= _INT_MAX:
            raise InvalidArgumentError(f"collapse window must be in 1..{_INT_MAX}, got {size}")
        out = c_int()
        rc = _hot.finmon_diversity_check_collapse(
            self.collector._live_handle(), size, _args.real(threshold, "threshold"), ctypes.byref(out))
        if rc:
            _native.raise_last(rc)
        return bool(out.value)
