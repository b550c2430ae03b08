"""DiversityMonitor and finmon.diversity through the shim: values read back from /metrics,
collapse detection, staleness, the O(N*L) formula against an O(N^2) reference, and bad
input refused with a clear message and nothing changed."""

from __future__ import annotations

import math
import urllib.request

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

import finmon
from finmon import diversity

DIVERSITY_FAMILIES = (
    "population_diversity", "unique_strategy_count", "population_size",
    "champion_staleness_iterations", "champion_updates", "champion_sharpe_ratio",
)


@pytest.fixture
def monitor(collector: finmon.MetricsCollector) -> finmon.DiversityMonitor:
    return finmon.DiversityMonitor(collector)


def scrape(port: int) -> dict[str, float]:
    """Every unlabeled sample of the exporter's /metrics, by sample name."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples if not sample.labels}


def family_samples(collector: finmon.MetricsCollector, names: tuple[str, ...]) -> list[tuple[str, float]]:
    """The samples of the given families (parser names: counters without _total)."""
    text = collector.generate_latest().decode()
    return [(sample.name, sample.value)
            for family in text_string_to_metric_families(text) if family.name in names
            for sample in family.samples]


def pairwise_reference(vectors: np.ndarray, bounds: np.ndarray | None = None) -> float:
    """The formula of DiversityMath's documentation, the straightforward O(N^2) way: scale by
    the bounds (one (lo, hi) row per parameter; the population's own ranges when None),
    clamp into [0, 1], sum over pairs."""
    if bounds is None:
        bounds = np.stack([vectors.min(axis=0), vectors.max(axis=0)], axis=1)
    lo, hi = bounds[:, 0], bounds[:, 1]
    span = hi - lo
    scaled = np.where(span > 0, np.clip((vectors - lo) / np.where(span > 0, span, 1.0), 0, 1), 0.0)
    n, length = scaled.shape
    total = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            total += float(np.sum((scaled[i] - scaled[j]) ** 2))
    return min(1.0, math.sqrt(4.0 * total / (n * n * length)))


#: The example loop's search space: fast and slow windows, threshold, stop loss.
SEARCH_SPACE = [(2.0, 50.0), (10.0, 200.0), (0.0, 0.05), (0.02, 0.30)]


def converged_population(rng: np.random.Generator, width: float, size: int = 20) -> np.ndarray:
    """``size`` strategies within ``width`` (a fraction of each parameter's range) of one point."""
    bounds = np.array(SEARCH_SPACE)
    span = bounds[:, 1] - bounds[:, 0]
    centre = bounds[:, 0] + rng.uniform(0.2, 0.8, size=len(span)) * span
    return np.asarray(centre + rng.uniform(-width, width, size=(size, len(span))) * span)


def random_population(rng: np.random.Generator, size: int = 20) -> np.ndarray:
    bounds = np.array(SEARCH_SPACE)
    return np.asarray(rng.uniform(bounds[:, 0], bounds[:, 1], size=(size, len(bounds))))


@pytest.fixture(autouse=True)
def _fresh_frozen_ranges() -> Iterator[None]:
    """compute() without bounds freezes the first population's ranges for the process."""
    diversity.reset()
    yield
    diversity.reset()


# ---- DiversityMonitor --------------------------------------------------------------


def test_diversity_values_are_read_back_from_metrics(collector: finmon.MetricsCollector,
                                                     monitor: finmon.DiversityMonitor) -> None:
    port = collector.start_http_server(port=0)
    assert port is not None
    for iteration, value in enumerate([0.0, 0.5, 1.0]):
        monitor.record_diversity(iteration, value, unique_count=iteration + 1, total_count=20)
        scraped = scrape(port)
        assert scraped["population_diversity"] == value
        assert scraped["unique_strategy_count"] == iteration + 1
        assert scraped["population_size"] == 20


def test_collapse_is_detected_after_exactly_five_low_values(monitor: finmon.DiversityMonitor) -> None:
    monitor.record_diversity(0, 0.8, 10, 10)
    for iteration in range(1, 5):
        monitor.record_diversity(iteration, 0.05, 1, 10)
        assert monitor.check_diversity_collapse(window=5) is False, f"after {iteration} low values"
    monitor.record_diversity(5, 0.09, 1, 10)
    assert monitor.check_diversity_collapse(window=5) is True
    assert monitor.check_diversity_collapse() is True  # window=5 is the default

    monitor.record_diversity(6, 0.3, 5, 10)
    assert monitor.check_diversity_collapse(window=5) is False


def test_collapse_uses_a_strict_threshold_and_a_custom_window(monitor: finmon.DiversityMonitor) -> None:
    for iteration in range(3):
        monitor.record_diversity(iteration, 0.1, 1, 10)
    assert monitor.check_diversity_collapse(window=3) is False  # 0.1 is not below 0.1
    assert monitor.check_diversity_collapse(window=3, threshold=0.2) is True
    assert monitor.check_diversity_collapse(window=4, threshold=0.2) is False  # only 3 values held


def test_a_thousand_iterations_of_history_are_kept_and_checked(monitor: finmon.DiversityMonitor) -> None:
    for iteration in range(1000):
        monitor.record_diversity(iteration, 0.01, 1, 10)
    assert monitor.check_diversity_collapse(window=1000) is True
    assert monitor.check_diversity_collapse(window=1001) is False


def test_staleness_is_computed_and_exported(collector: finmon.MetricsCollector,
                                            monitor: finmon.DiversityMonitor) -> None:
    port = collector.start_http_server(port=0)
    assert port is not None
    assert monitor.calculate_staleness(current_iteration=12, last_update_iteration=4) == 8
    assert scrape(port)["champion_staleness_iterations"] == 8
    assert monitor.calculate_staleness(3, 4) == 0


def test_staleness_follows_champion_updates_and_loop_iterations(collector: finmon.MetricsCollector,
                                                                monitor: finmon.DiversityMonitor) -> None:
    monitor.record_champion_update(3, old_sharpe=None, new_sharpe=0.9)
    for iteration in range(3, 11):
        collector.record_iteration(iteration, True, 0.01)
        assert collector.get_sample_value("champion_staleness_iterations") == iteration - 3
    monitor.record_champion_update(11, old_sharpe=0.9, new_sharpe=1.4)
    assert collector.get_sample_value("champion_staleness_iterations") == 0
    assert collector.get_sample_value("champion_updates_total") == 2
    assert collector.get_sample_value("champion_sharpe_ratio") == 1.4
    monitor.record_diversity(15, 0.4, 3, 10)
    assert collector.get_sample_value("champion_staleness_iterations") == 4


BAD_SAMPLES = [
    (dict(diversity=math.nan), "diversity must be a finite number in [0, 1], got nan"),
    (dict(diversity=1.5), "diversity must be a finite number in [0, 1], got 1.5"),
    (dict(diversity=-0.1), "got -0.1"),
    (dict(diversity=math.inf), "got inf"),
    (dict(unique_count=-1), "counts must be >= 0, got unique_count=-1, total_count=10"),
    (dict(total_count=-2, unique_count=0), "counts must be >= 0"),
    (dict(unique_count=11), "unique_count (11) cannot exceed total_count (10)"),
    (dict(iteration=4), "iteration 4 is before the last recorded iteration 5"),
    (dict(iteration=-1), "iteration must be >= 0, got -1"),
]


@pytest.mark.parametrize(("override", "message"), BAD_SAMPLES)
def test_a_bad_sample_is_refused_and_changes_nothing_when_strict(collector: finmon.MetricsCollector,
                                                                 monitor: finmon.DiversityMonitor,
                                                                 override: dict[str, float], message: str) -> None:
    collector.strict = True
    for iteration in range(1, 6):
        monitor.record_diversity(iteration, 0.05, 2, 10)
    monitor.record_champion_update(5, None, 1.0)
    before = family_samples(collector, DIVERSITY_FAMILIES)
    arguments: dict[str, float] = dict(iteration=6, diversity=0.5, unique_count=5, total_count=10)
    arguments.update(override)
    with pytest.raises(finmon.InvalidArgumentError) as caught:
        monitor.record_diversity(**arguments)  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert family_samples(collector, DIVERSITY_FAMILIES) == before
    # The refused value did not enter the history: the collapse still holds.
    assert monitor.check_diversity_collapse() is True


@pytest.mark.parametrize(("iteration", "old", "new", "message"), [
    (6, None, math.nan, "sharpe ratio must be finite, got nan"),
    (6, math.nan, 1.2, "sharpe ratio must be finite, got nan"),
    (6, 1.0, -math.inf, "sharpe ratio must be finite, got -inf"),
    (4, 1.0, 1.2, "iteration 4 is before the last recorded iteration 5"),
])
def test_a_bad_champion_update_is_refused_and_changes_nothing_when_strict(
        collector: finmon.MetricsCollector, monitor: finmon.DiversityMonitor, iteration: int, old: float | None,
        new: float, message: str) -> None:
    collector.strict = True
    monitor.record_champion_update(5, None, 1.0)
    before = family_samples(collector, DIVERSITY_FAMILIES)
    with pytest.raises(finmon.InvalidArgumentError, match=message):
        monitor.record_champion_update(iteration, old, new)
    assert family_samples(collector, DIVERSITY_FAMILIES) == before


def test_bad_arguments_get_clear_errors(monitor: finmon.DiversityMonitor) -> None:
    with pytest.raises(finmon.InvalidArgumentError, match="collapse window must be in 1"):
        monitor.check_diversity_collapse(window=0)
    with pytest.raises(finmon.InvalidArgumentError, match="threshold must be a number, got NaN"):
        monitor.check_diversity_collapse(threshold=math.nan)
    assert monitor.calculate_staleness(-1, 0) == 0  # skipped and counted
    monitor.collector.strict = True
    with pytest.raises(finmon.InvalidArgumentError, match="iteration must be >= 0"):
        monitor.calculate_staleness(-1, 0)
    with pytest.raises(TypeError, match="iteration must be an int, got float"):
        monitor.record_diversity(1.5, 0.5, 1, 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="diversity must be a number, got str"):
        monitor.record_diversity(1, "0.5", 1, 2)  # type: ignore[arg-type]
    with pytest.raises(finmon.InvalidArgumentError, match="does not fit in 64 bits"):
        monitor.record_diversity(2**70, 0.5, 1, 2)


def test_a_closed_collector_is_refused(collector: finmon.MetricsCollector) -> None:
    monitor = finmon.DiversityMonitor(collector)
    collector.close()
    with pytest.raises(finmon.InvalidHandleError):
        monitor.record_diversity(1, 0.5, 1, 2)


# ---- finmon.diversity.compute ------------------------------------------------------
