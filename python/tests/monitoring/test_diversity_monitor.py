"""The original design's "DiversityMonitor Tests" (tests/monitoring/test_diversity_monitor.py),
one test per item of its list, with its class and method names."""

from __future__ import annotations

import pytest

import finmon


@pytest.mark.parametrize("diversity", [0.0, 0.5, 1.0])
def test_diversity_recording_with_various_values(collector: finmon.MetricsCollector, diversity: float) -> None:
    """Test diversity recording with various values (0.0, 0.5, 1.0)."""
    monitor = finmon.DiversityMonitor(collector)
    monitor.record_diversity(iteration=3, diversity=diversity, unique_count=7, total_count=20)
    assert collector.get_sample_value("population_diversity") == diversity
    assert collector.get_sample_value("unique_strategy_count") == 7
    assert collector.get_sample_value("population_size") == 20
    assert collector.get_sample_value("finmon_rejected_values_total",
                                      {"hook": "record_diversity", "reason": "diversity_out_of_range"}) is None


def test_champion_staleness_calculation(collector: finmon.MetricsCollector) -> None:
    """Test champion staleness calculation: the design's calculate_staleness, and the
    gauge as the loop moves on without a new champion."""
    monitor = finmon.DiversityMonitor(collector)
    assert monitor.calculate_staleness(current_iteration=12, last_update_iteration=4) == 8
    assert monitor.calculate_staleness(current_iteration=4, last_update_iteration=4) == 0
    monitor.record_champion_update(iteration=10, old_sharpe=None, new_sharpe=1.4)
    assert collector.get_sample_value("champion_staleness_iterations") == 0
    for iteration in range(11, 31):
        collector.record_iteration(iteration, True, 0.1)
    assert collector.get_sample_value("champion_staleness_iterations") == 20
    monitor.record_champion_update(iteration=31, old_sharpe=1.4, new_sharpe=1.6)
    assert collector.get_sample_value("champion_staleness_iterations") == 0
    assert collector.get_sample_value("champion_updates_total") == 2


def test_diversity_collapse_detection_five_consecutive_below_0_1(collector: finmon.MetricsCollector) -> None:
    """Test diversity collapse detection (5 consecutive < 0.1)."""
    monitor = finmon.DiversityMonitor(collector)
    for iteration in range(1, 5):
        monitor.record_diversity(iteration, 0.05, 2, 20)
        assert monitor.check_diversity_collapse(window=5) is False  # fewer than five so far
    monitor.record_diversity(5, 0.05, 2, 20)
    assert monitor.check_diversity_collapse(window=5) is True
    monitor.record_diversity(6, 0.1, 3, 20)  # not below 0.1: the run is broken
    assert monitor.check_diversity_collapse(window=5) is False
    for iteration in range(7, 11):
        monitor.record_diversity(iteration, 0.02, 1, 20)
    assert monitor.check_diversity_collapse(window=5) is False  # four since the break
    monitor.record_diversity(11, 0.02, 1, 20)
    assert monitor.check_diversity_collapse() is True  # the design's defaults: 5 below 0.1
