"""Iteration: the handle ``MetricsCollector.iteration(i)`` yields.

It times the ``with`` block with ``time.perf_counter`` and records the outcome in one
native call when the block ends: a success (with the figures given to :meth:`result`)
unless :meth:`fail` was called or the block raised an ``Exception``. A raised exception
is recorded as a failure and still propagates.

``KeyboardInterrupt`` and ``SystemExit`` record nothing: the strategy did not fail, the
run was stopped, and counting that as a failure would skew the success rate.

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> with collector.iteration(1) as it:
    ...     it.result(sharpe=1.3, max_drawdown=-0.12)
    >>> collector.get_sample_value("strategy_sharpe_ratio")
    1.3
    >>> try:
    ...     with collector.iteration(2):
    ...         raise RuntimeError("backtest crashed")
    ... except RuntimeError:
    ...     pass
    >>> collector.get_sample_value("strategy_failure_total")
    1.0
    >>> collector.close()
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING

from . import _args
from .errors import FinmonError

if TYPE_CHECKING:
    from .collector import MetricsCollector

__all__ = ["Iteration", "SkippedIteration"]


class Iteration:
    """One timed loop iteration; see the module documentation."""

    __slots__ = ("_collector", "iteration", "sharpe", "max_drawdown", "failed", "elapsed", "_start")

    def __init__(self, collector: MetricsCollector, iteration: int) -> None:
        # Types are checked now; values (a negative iteration) when the outcome is recorded,
        # by the hooks' policy: skipped and counted, or refused by a strict collector.
        self._collector = collector
        self.iteration = _args.hook_int64(iteration, "iteration", collector)
        self.sharpe: float | None = None
        self.max_drawdown: float | None = None
        self.failed = False
        #: Seconds the block took, once it has ended.
        self.elapsed: float | None = None
        self._start = 0.0

    def result(self, sharpe: float | None = None, max_drawdown: float | None = None) -> None:
        """Set the figures to record (None leaves a figure unreported; a NaN or infinite
        one is skipped and counted when the outcome is recorded, see
        :class:`~finmon.MetricsCollector`).

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     with collector.iteration(0) as it:
            ...         it.result(sharpe=0.8)
            ...     collector.get_sample_value("strategy_sharpe_ratio")
            0.8
        """
        self.sharpe = None if sharpe is None else _args.real(sharpe, "sharpe")
        self.max_drawdown = None if max_drawdown is None else _args.real(max_drawdown, "max_drawdown")

    def fail(self) -> None:
        """Record this iteration as a failure without raising.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     with collector.iteration(0) as it:
            ...         it.fail()
            ...     collector.get_sample_value("strategy_failure_total")
            1.0
        """
        self.failed = True

    def __enter__(self) -> Iteration:
        self._start = time.perf_counter()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.elapsed = max(0.0, time.perf_counter() - self._start)
        if error is None:
            self._collector.record_iteration(self.iteration, not self.failed, self.elapsed,
                                             self.sharpe, self.max_drawdown)
            return
        if not isinstance(error, Exception):
            return
        try:
            self._collector.record_iteration(self.iteration, False, self.elapsed, self.sharpe, self.max_drawdown)
        except FinmonError as refused:
            # The block's own exception is the one the caller needs; keep ours as a note.
            error.add_note(f"finmon could not record this failed iteration: {refused}")


class SkippedIteration(Iteration):
    """What :meth:`finmon.Runtime.iteration` yields with ``monitoring.enabled: false``: the
    same handle (``result``, ``fail``, ``elapsed``), timing the block and recording nothing.

    Example:
        >>> from finmon.iteration import SkippedIteration
        >>> with SkippedIteration(3) as it:
        ...     it.result(sharpe=1.2)
        >>> it.sharpe, it.elapsed is not None
        (1.2, True)
    """

    __slots__ = ()

    def __init__(self, iteration: int) -> None:
        self.iteration = _args.hook_int64(iteration, "iteration", None)
        self.sharpe = None
        self.max_drawdown = None
        self.failed = False
        self.elapsed = None
        self._start = 0.0

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.elapsed = max(0.0, time.perf_counter() - self._start)
