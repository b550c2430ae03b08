"""Hooks never stop the loop, as a property over every hook: given NaN, infinities, huge,
negative and backwards values, the hook returns, the next iteration is recorded normally,
and finmon_rejected_values_total moved; on a strict collector each such call raises
InvalidArgumentError and changes nothing."""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import finmon

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
NEGATIVE_FLOAT = st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False) | NON_FINITE
NEGATIVE_INT = st.integers(min_value=-(2**63), max_value=-1)
HUGE_NEGATIVE_INT = st.integers(min_value=-(2**80), max_value=-(2**63) - 1)
BAD_IDS = st.sampled_from(["", "x" * 200, "a b", "a/b", "caf\u00e9", "-x"])

#: The iteration the loop reached before the bad call (so "backwards" has room).
LAST = 50


@dataclass
class Loop:
    collector: finmon.MetricsCollector
    diversity: finmon.DiversityMonitor
    containers: finmon.ContainerMonitor


@contextmanager
def loop(strict: bool) -> Iterator[Loop]:
    collector = finmon.MetricsCollector(strict=strict)
    try:
        diversity = finmon.DiversityMonitor(collector)
        containers = finmon.ContainerMonitor(collector, docker_host="unix:///nonexistent/finmon-test.sock")
        collector.record_iteration(LAST, True, 0.1, sharpe=1.0)
        diversity.record_diversity(LAST, 0.5, 5, 10)
        diversity.record_champion_update(LAST, None, 1.0)
        yield Loop(collector, diversity, containers)
    finally:
        collector.close()


def rejected(collector: finmon.MetricsCollector) -> float:
    text = collector.generate_latest().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("finmon_rejected_values_total{"))


def iteration_value(draw: Any) -> int:
    return int(draw(st.one_of(NEGATIVE_INT, HUGE_NEGATIVE_INT, st.integers(min_value=0, max_value=LAST - 1))))


def bad_record_iteration(draw: Any) -> Callable[[Loop], None]:
    """One call with at least one value the hook cannot use."""
    which = draw(st.sampled_from(["iteration", "execution_time", "sharpe", "max_drawdown"]))
    iteration = iteration_value(draw) if which == "iteration" else LAST + 1
    seconds = draw(NEGATIVE_FLOAT) if which == "execution_time" else 0.2
    sharpe = draw(NON_FINITE) if which == "sharpe" else 0.5
    drawdown = draw(NON_FINITE) if which == "max_drawdown" else -0.1
    success = draw(st.booleans())
    return lambda l: l.collector.record_iteration(iteration, success, seconds, sharpe=sharpe, max_drawdown=drawdown)


def bad_iteration_block(draw: Any) -> Callable[[Loop], None]:
    """The context manager: `with collector.iteration(i) as it: it.result(...)`."""
    which = draw(st.sampled_from(["iteration", "sharpe", "max_drawdown"]))
    iteration = iteration_value(draw) if which == "iteration" else LAST + 1
    sharpe = draw(NON_FINITE) if which == "sharpe" else 0.5
    drawdown = draw(NON_FINITE) if which == "max_drawdown" else -0.1

    def call(l: Loop) -> None:
        with l.collector.iteration(iteration) as it:
            it.result(sharpe=sharpe, max_drawdown=drawdown)
    return call


def bad_record_diversity(draw: Any) -> Callable[[Loop], None]:
    which = draw(st.sampled_from(["iteration", "diversity", "negative_count", "unique_above_total", "huge_count"]))
    iteration = iteration_value(draw) if which == "iteration" else LAST + 1
    diversity = draw(NON_FINITE | st.floats(min_value=1.0001, max_value=1e300) | st.floats(max_value=-1e-9)) \
        if which == "diversity" else 0.4
    unique, total = 4, 10
    if which == "negative_count":
        unique, total = draw(st.sampled_from([(-1, 10), (3, -1), (-5, -5)]))
    elif which == "unique_above_total":
        total = draw(st.integers(min_value=0, max_value=100))
        unique = total + draw(st.integers(min_value=1, max_value=2**62))
    elif which == "huge_count":
        unique = draw(HUGE_NEGATIVE_INT)
    return lambda l: l.diversity.record_diversity(iteration, diversity, unique, total)


def bad_record_champion_update(draw: Any) -> Callable[[Loop], None]:
    which = draw(st.sampled_from(["iteration", "old_sharpe", "new_sharpe"]))
    iteration = iteration_value(draw) if which == "iteration" else LAST + 1
    old = draw(NON_FINITE) if which == "old_sharpe" else 1.0  # -inf: "no champion yet"
    new = draw(NON_FINITE) if which == "new_sharpe" else 1.5
    return lambda l: l.diversity.record_champion_update(iteration, old, new)


def bad_calculate_staleness(draw: Any) -> Callable[[Loop], None]:
    current = draw(NEGATIVE_INT | HUGE_NEGATIVE_INT)
    return lambda l: l.diversity.calculate_staleness(current, 0)


def bad_container_hook(draw: Any) -> Callable[[Loop], None]:
    container_id = draw(BAD_IDS)
    hook = draw(st.sampled_from(["created", "stats", "cleanup"]))

    def call(l: Loop) -> None:
        if hook == "created":
            l.containers.record_container_created(container_id)
        elif hook == "stats":
            l.containers.record_container_stats(container_id)
        else:
            l.containers.record_container_cleanup(container_id, success=True)
    return call


HOOKS = {
    "record_iteration": bad_record_iteration,
    "iteration": bad_iteration_block,
    "record_diversity": bad_record_diversity,
    "record_champion_update": bad_record_champion_update,
    "calculate_staleness": bad_calculate_staleness,
    "record_container_*": bad_container_hook,
}


@pytest.mark.parametrize("hook", sorted(HOOKS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_bad_value_is_skipped_and_counted_and_the_next_iteration_recorded(hook: str, data: st.DataObject) -> None:
    call = HOOKS[hook](data.draw)
    with loop(strict=False) as l:
        before = rejected(l.collector)
        call(l)  # returns: nothing raised
        assert rejected(l.collector) > before
        successes = l.collector.get_sample_value("strategy_success_total") or 0
        l.collector.record_iteration(LAST + 2, True, 0.1, sharpe=0.7)
        assert l.collector.get_sample_value("strategy_success_total") == successes + 1
        assert l.collector.get_sample_value("loop_iteration") == LAST + 2
        assert l.collector.get_sample_value("strategy_sharpe_ratio") == 0.7


@pytest.mark.parametrize("hook", sorted(HOOKS))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_strict_collector_raises_and_changes_nothing(hook: str, data: st.DataObject) -> None:
    call = HOOKS[hook](data.draw)
    with loop(strict=True) as l:
        before = l.collector.generate_latest()
        with pytest.raises(finmon.InvalidArgumentError):
            call(l)
        after = l.collector.generate_latest()
        # process_* are refreshed by every exposition; everything else is as it was.
        keep = lambda text: [x for x in text.decode().splitlines() if not x.startswith("process_")]  # noqa: E731
        assert keep(after) == keep(before)


@settings(max_examples=30, deadline=None)
@given(huge=st.integers(min_value=2**63, max_value=2**80))
def test_a_huge_iteration_is_taken_at_the_64_bit_limit_and_the_next_one_restarts(huge: int) -> None:
    with loop(strict=False) as l:
        l.collector.record_iteration(huge, True, 0.1)
        assert l.collector.get_sample_value("loop_iteration") == float(2**63 - 1)
        before = rejected(l.collector)
        l.collector.record_iteration(LAST + 2, True, 0.1)  # backwards from the limit: a restart
        assert rejected(l.collector) == before + 1
        assert l.collector.get_sample_value("loop_iteration") == LAST + 2


def test_programming_errors_still_raise() -> None:
    with loop(strict=False) as l:
        with pytest.raises(TypeError):
            l.collector.record_iteration("7", True, 0.1)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            l.diversity.record_diversity(1, "0.5", 1, 2)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            l.containers.record_container_created(42)  # type: ignore[arg-type]
        with pytest.raises(finmon.LabelError):
            l.collector.container_memory_usage.labels(image="x")
        with pytest.raises(AttributeError):  # as prometheus_client: a gauge has no observe
            l.collector.population_diversity.observe(0.5)  # type: ignore[attr-defined]
