"""The loop hooks through the shim: record_iteration, the iteration() context manager,
the rolling success rate, and bad input refused with a clear message and nothing changed."""

from __future__ import annotations

import math
import random
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

import finmon

LOOP_FAMILIES = (
    "execution_time_seconds", "strategy_success", "strategy_failure", "strategy_success_rate",
    "strategy_sharpe_ratio", "strategy_max_drawdown", "loop_iteration", "champion_staleness_iterations",
)


def family_samples(collector: finmon.MetricsCollector) -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
    """Every sample of the loop's families (parser names: counters without _total)."""
    text = collector.generate_latest().decode()
    return [(sample.name, tuple(sorted(sample.labels.items())), sample.value)
            for family in text_string_to_metric_families(text) if family.name in LOOP_FAMILIES
            for sample in family.samples]


def value(collector: finmon.MetricsCollector, name: str, **labels: str) -> float | None:
    return collector.get_sample_value(name, labels or None)


def test_record_iteration_updates_every_loop_metric_in_metrics(collector: finmon.MetricsCollector) -> None:
    port = collector.start_http_server(port=0)
    collector.record_iteration(4, True, 0.3, sharpe=1.3, max_drawdown=-0.12)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
               for family in text_string_to_metric_families(text) for sample in family.samples}
    assert samples[("execution_time_seconds_count", ())] == 1
    assert samples[("execution_time_seconds_sum", ())] == 0.3
    assert samples[("execution_time_seconds_bucket", (("le", "0.25"),))] == 0
    assert samples[("execution_time_seconds_bucket", (("le", "0.5"),))] == 1
    assert samples[("strategy_success_total", ())] == 1
    assert samples[("strategy_failure_total", ())] == 0
    assert samples[("strategy_success_rate", ())] == 1
    assert samples[("strategy_sharpe_ratio", ())] == 1.3
    assert samples[("strategy_max_drawdown", ())] == -0.12
    assert samples[("loop_iteration", ())] == 4


def test_a_failure_without_figures_keeps_the_last_sharpe(collector: finmon.MetricsCollector) -> None:
    collector.record_iteration(1, True, 0.5, sharpe=0.7, max_drawdown=-0.2)
    collector.record_iteration(2, False, 0.1)
    assert value(collector, "strategy_sharpe_ratio") == 0.7
    assert value(collector, "strategy_max_drawdown") == -0.2
    assert value(collector, "strategy_failure_total") == 1
    assert value(collector, "loop_iteration") == 2


def test_success_rate_over_the_window_matches_a_hand_count(collector: finmon.MetricsCollector) -> None:
    assert collector.success_rate is None
    assert collector.success_window_full is False
    generator = random.Random(7)
    outcomes = [generator.random() < 0.6 for _ in range(35)]
    for iteration, success in enumerate(outcomes):
        collector.record_iteration(iteration, success, 0.01)
        window = outcomes[max(0, iteration - 9):iteration + 1]
        hand_count = sum(window) / len(window)
        assert collector.success_rate == hand_count
        assert value(collector, "strategy_success_rate") == hand_count
        assert collector.success_window_full is (iteration >= 9)
    assert value(collector, "strategy_success_total") == sum(outcomes)
    assert value(collector, "strategy_failure_total") == len(outcomes) - sum(outcomes)


def test_an_equal_iteration_is_accepted(collector: finmon.MetricsCollector) -> None:
    collector.record_iteration(3, True, 0.1)
    collector.record_iteration(3, False, 0.1)
    assert collector.success_rate == 0.5


# ---- the context manager -----------------------------------------------------------


def test_the_context_manager_records_a_failure_and_reraises(collector: finmon.MetricsCollector) -> None:
    problem = RuntimeError("backtest crashed")
    with pytest.raises(RuntimeError) as caught:
        with collector.iteration(1) as it:
            raise problem
    assert caught.value is problem
    assert value(collector, "strategy_failure_total") == 1
    assert value(collector, "strategy_success_total") == 0
    assert value(collector, "execution_time_seconds_count") == 1
    assert value(collector, "execution_time_seconds_sum") == it.elapsed
    assert value(collector, "loop_iteration") == 1


def test_the_context_manager_records_a_timed_success_with_its_result(collector: finmon.MetricsCollector) -> None:
    with collector.iteration(2) as it:
        it.result(sharpe=1.3, max_drawdown=-0.12)
    assert it.elapsed is not None and it.elapsed >= 0
    assert value(collector, "execution_time_seconds_sum") == it.elapsed
    assert value(collector, "strategy_success_total") == 1
    assert value(collector, "strategy_sharpe_ratio") == 1.3
    assert value(collector, "strategy_max_drawdown") == -0.12


def test_fail_marks_a_failure_without_raising(collector: finmon.MetricsCollector) -> None:
    with collector.iteration(1) as it:
        it.result(sharpe=-0.4)
        it.fail()
    assert value(collector, "strategy_failure_total") == 1
    assert value(collector, "strategy_sharpe_ratio") == -0.4
    assert collector.success_rate == 0.0


def test_keyboard_interrupt_is_not_counted_as_a_strategy_failure(collector: finmon.MetricsCollector) -> None:
    with pytest.raises(KeyboardInterrupt):
        with collector.iteration(1):
            raise KeyboardInterrupt
    assert value(collector, "strategy_failure_total") == 0
    assert value(collector, "execution_time_seconds_count") == 0


def test_a_refused_record_does_not_hide_the_blocks_exception(collector: finmon.MetricsCollector) -> None:
    collector.strict = True  # only a strict collector refuses a record
    collector.record_iteration(5, True, 0.1)
    with pytest.raises(ValueError, match="strategy input") as caught:
        with collector.iteration(4):
            raise ValueError("strategy input")
    assert any("iteration 4 is before the last recorded iteration 5" in note
               for note in getattr(caught.value, "__notes__", []))
    assert value(collector, "strategy_failure_total") == 0


def test_a_strict_collector_refuses_a_bad_iteration_or_result_when_the_block_ends(
        collector: finmon.MetricsCollector) -> None:
    collector.strict = True
    ran = False
    with pytest.raises(finmon.InvalidArgumentError, match="iteration must be >= 0, got -1"):
        with collector.iteration(-1):
            ran = True
    assert ran
    with pytest.raises(finmon.InvalidArgumentError, match="sharpe ratio must be finite, got nan"):
        with collector.iteration(1) as it:
            it.result(sharpe=math.nan)
    # Refused, so nothing was recorded.
    assert value(collector, "strategy_success_total") == 0 and value(collector, "strategy_failure_total") == 0
    assert value(collector, "strategy_sharpe_ratio") == 0


# ---- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(("arguments", "message"), [
    (dict(iteration=9), "iteration 9 is before the last recorded iteration 10"),
    (dict(iteration=-3), "iteration must be >= 0, got -3"),
    (dict(execution_time_seconds=-0.5), "execution time must be a finite number of seconds >= 0, got -0.5"),
    (dict(execution_time_seconds=math.nan), "execution time must be a finite number of seconds >= 0, got nan"),
    (dict(execution_time_seconds=math.inf), "got inf"),
    (dict(sharpe=math.nan), "sharpe ratio must be finite, got nan"),
    (dict(sharpe=-math.inf), "sharpe ratio must be finite, got -inf"),
    (dict(max_drawdown=math.nan), "max drawdown must be finite, got nan"),
])
def test_bad_input_is_refused_and_changes_nothing_when_strict(collector: finmon.MetricsCollector,
                                                              arguments: dict[str, float], message: str) -> None:
    collector.strict = True
    collector.record_iteration(10, True, 0.2, sharpe=1.1, max_drawdown=-0.05)
    before = family_samples(collector)
    rate_before = collector.success_rate
    call: dict[str, float] = dict(iteration=11, success=False, execution_time_seconds=0.1, sharpe=0.5,
                                  max_drawdown=-0.1)
    call.update(arguments)
    with pytest.raises(finmon.InvalidArgumentError) as caught:
        collector.record_iteration(**call)  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert family_samples(collector) == before
    assert collector.success_rate == rate_before


def test_wrong_types_get_type_errors(collector: finmon.MetricsCollector) -> None:
    with pytest.raises(TypeError, match="iteration must be an int, got str"):
        collector.record_iteration("3", True, 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="execution_time_seconds must be a number, got NoneType"):
        collector.record_iteration(3, True, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sharpe must be a number, got str"):
        collector.record_iteration(3, True, 0.1, sharpe="high")  # type: ignore[arg-type]
    assert value(collector, "execution_time_seconds_count") == 0
    # Past 64 bits is a value, not a type: taken at the limit, or refused when strict.
    collector.record_iteration(2**63, True, 0.1)
    assert value(collector, "loop_iteration") == float(2**63 - 1)
    collector.strict = True
    with pytest.raises(finmon.InvalidArgumentError, match="does not fit in 64 bits"):
        collector.record_iteration(2**64, True, 0.1)


def test_the_abi_refuses_unknown_flag_bits(collector: finmon.MetricsCollector) -> None:
    from finmon import _native

    before = family_samples(collector)
    assert _native.hot.finmon_loop_record_iteration(collector._live_handle(), 1, 1, 0.1, 1.0, -0.1, 4) == finmon.Status.INVALID_ARGUMENT
    assert "flags must combine FINMON_LOOP_HAS_SHARPE" in _native.last_error()
    assert family_samples(collector) == before
