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


@pytest.mark.parametrize("seed", range(8))
def test_compute_matches_the_pairwise_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(2, 60))
    cols = int(rng.integers(1, 12))
    vectors = rng.normal(size=(rows, cols)) * rng.uniform(0.01, 1000, size=cols) + rng.normal(size=cols) * 50
    if seed % 3 == 0:
        vectors[:, 0] = 7.25  # a constant parameter contributes nothing
    if seed % 4 == 1:
        vectors = np.round(vectors)  # duplicates
    # Bounds wider than the values, and (every other seed) narrower: clamped.
    lo, hi = vectors.min(axis=0), vectors.max(axis=0)
    margin = (hi - lo) * (0.5 if seed % 2 else -0.25)
    bounds = np.stack([lo - margin, hi + margin], axis=1)
    expected = pairwise_reference(vectors, bounds)
    assert abs(diversity.compute(vectors, bounds=bounds) - expected) <= 1e-9
    assert abs(diversity.compute(vectors.tolist(), bounds=bounds.tolist()) - expected) <= 1e-9
    # reference=: the ranges of another population, here the vectors themselves.
    assert abs(diversity.compute(vectors, reference=vectors) - pairwise_reference(vectors)) <= 1e-9


def test_compute_known_values() -> None:
    unit = [(0.0, 1.0), (0.0, 1.0)]
    assert diversity.compute([[1.0, 2.0, 3.0]], bounds=[(0, 5)] * 3) == 0.0
    assert diversity.compute([[1.0, 2.0]] * 5, bounds=[(0, 5)] * 2) == 0.0
    assert diversity.compute([[0.0, 0.0], [1.0, 1.0]], bounds=unit) == pytest.approx(1.0, abs=1e-15)
    assert diversity.compute([[0, 10], [1, 20], [0, 10], [1, 20]], bounds=[(0, 1), (10, 20)]) == pytest.approx(1.0)
    assert diversity.compute([[0.0], [0.5], [1.0]], bounds=[(0, 1)]) == pytest.approx(math.sqrt(2 / 3), abs=1e-12)
    # The same two points in a space ten times wider are ten times less diverse.
    assert diversity.compute([[0.0], [1.0]], bounds=[(0, 10)]) == pytest.approx(0.1, abs=1e-15)


def test_a_population_converged_within_one_percent_of_a_point_scores_at_most_005() -> None:
    rng = np.random.default_rng(11)
    spread = random_population(rng)
    for width in (0.01, 0.001):
        converged = converged_population(rng, width)
        score = diversity.compute(converged, bounds=SEARCH_SPACE)
        assert score <= 0.05, (width, score)
        # The reference fallback sees it too, against the first (random) population.
        assert diversity.compute(converged, reference=spread) <= 0.05
        # What scaling by the population's own spread reported before: it looked diverse.
        assert pairwise_reference(converged) > 0.4
    assert diversity.compute(spread, bounds=SEARCH_SPACE) > 0.4


def test_the_score_does_not_change_when_parameters_are_rescaled_with_their_bounds() -> None:
    rng = np.random.default_rng(12)
    bounds = np.array(SEARCH_SPACE)
    for population in (random_population(rng), converged_population(rng, 0.01)):
        base = diversity.compute(population, bounds=bounds)
        # Powers of two are exact in binary floating point: the very same score.
        factors = np.array([4.0, 0.5, 1024.0, 0.125])
        assert diversity.compute(population * factors, bounds=bounds * factors[:, None]) == base
        # Any change of units and origin (e.g. days -> hours, fractions -> basis points).
        scale, shift = np.array([24.0, 24.0, 1e4, 100.0]), np.array([0.0, -3.0, 5.0, 1.0])
        moved_bounds = bounds * scale[:, None] + shift[:, None]
        assert diversity.compute(population * scale + shift, bounds=moved_bounds) == pytest.approx(base, abs=1e-12)


def test_without_bounds_the_first_population_s_ranges_are_frozen(caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(13)
    first, converged = random_population(rng), converged_population(rng, 0.01)
    with caplog.at_level("INFO", logger="finmon"):
        assert diversity.compute(first) == pytest.approx(pairwise_reference(first), abs=1e-9)
    assert "frozen until diversity.reset()" in caplog.text
    # Later populations are scaled by the first one's ranges, so convergence shows.
    assert diversity.compute(converged) <= 0.05
    assert diversity.compute(converged) == diversity.compute(converged, reference=first)
    with pytest.raises(finmon.InvalidArgumentError, match="frozen ranges .* have 4"):
        diversity.compute([[1.0, 2.0], [3.0, 4.0]])
    diversity.reset()
    # A new run: the converged population is now its own first population.
    assert diversity.compute(converged) > 0.4


def test_ranges_are_the_minimum_and_maximum_of_each_parameter() -> None:
    assert diversity.ranges([[1.0, 5.0], [3.0, 4.0], [2.0, 6.0]]) == [(1.0, 3.0), (4.0, 6.0)]
    assert diversity.ranges(np.array([[1.0, 2.0]])) == [(1.0, 1.0), (2.0, 2.0)]


@pytest.mark.parametrize(("bounds", "error", "message"), [
    ([(0, 1)], finmon.InvalidArgumentError, r"bounds has 1 \(lo, hi\) pairs, expected one per parameter \(2\)"),
    ([(0, 1), (2, 1)], finmon.InvalidArgumentError, r"bounds of parameter 1 are \(2.0, 1.0\); need finite lower <= upper"),
    ([(0, 1), (math.nan, 1)], finmon.InvalidArgumentError, "bounds of parameter 1"),
    ([(0, 1), (0, math.inf)], finmon.InvalidArgumentError, "need finite"),
    ([(0, 1), (0, 1, 2)], TypeError, r"bounds\[1\] must be a \(lo, hi\) pair"),
    ([(0, 1), ("a", "b")], TypeError, r"bounds\[1\] must be a \(lo, hi\) pair"),
    (3, TypeError, "bounds must be a sequence of"),
])
def test_bad_bounds_are_refused(bounds: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        diversity.compute([[0.5, 0.5], [0.2, 0.1]], bounds=bounds)  # type: ignore[arg-type]


def test_bounds_and_reference_together_are_refused() -> None:
    with pytest.raises(finmon.InvalidArgumentError, match="bounds or reference, not both"):
        diversity.compute([[1.0]], bounds=[(0, 1)], reference=[[0.0], [1.0]])


def test_compute_reads_a_contiguous_float64_array_without_copying(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = np.random.default_rng(1).uniform(size=(40, 6))
    vectors.setflags(write=False)

    def no_copy(*args: object, **kwargs: object) -> None:
        raise AssertionError("a C-contiguous float64 array must not be converted")

    monkeypatch.setattr(np, "ascontiguousarray", no_copy)
    bounds = [(0.0, 1.0)] * 6
    assert abs(diversity.compute(vectors, bounds=bounds) - pairwise_reference(vectors, np.array(bounds))) <= 1e-9


def test_compute_converts_other_arrays() -> None:
    base = np.random.default_rng(2).uniform(-5, 5, size=(30, 8))
    bounds = np.array([(-5.0, 5.0)] * 8)
    expected = pairwise_reference(base, bounds)
    for variant in (np.asfortranarray(base), base.T.copy().T, base.astype(">f8")):
        assert abs(diversity.compute(variant, bounds=bounds) - expected) <= 1e-9
    single = base.astype(np.float32)
    assert abs(diversity.compute(single, bounds=bounds) - pairwise_reference(single.astype(np.float64), bounds)) <= 1e-9
    strided = np.zeros((30, 16))
    strided[:, ::2] = base
    assert abs(diversity.compute(strided[:, ::2], bounds=bounds) - expected) <= 1e-9
    assert diversity.compute(np.array([[1, 2], [3, 4]]), bounds=[(1, 3), (2, 4)]) == pytest.approx(1.0)


@pytest.mark.parametrize(("vectors", "error", "message"), [
    ([], finmon.InvalidArgumentError, "population is empty"),
    ([[]], finmon.InvalidArgumentError, "vectors have no components"),
    ([[1.0, 2.0], [3.0]], finmon.InvalidArgumentError, "vector 1 has 1 components, expected 2 like vector 0"),
    ([[1.0, math.nan]], finmon.InvalidArgumentError, "vector 0, component 1 is nan; values must be finite"),
    ([[1.0], [math.inf]], finmon.InvalidArgumentError, "vector 1, component 0 is inf"),
    (np.zeros(4), finmon.InvalidArgumentError, r"2-D array .* got shape \(4,\)"),
    (np.zeros((2, 2, 2)), finmon.InvalidArgumentError, "2-D array"),
    (np.zeros((0, 3)), finmon.InvalidArgumentError, "population is empty"),
    ([["a", "b"]], TypeError, "vector 0 must hold numbers"),
    ([1.0, 2.0], TypeError, "vector 0 is a float, not a sequence"),
    ("abc", TypeError, "vectors must be a sequence"),
])
def test_compute_refuses_bad_populations(vectors: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        diversity.compute(vectors)
    with pytest.raises(error, match=message):
        diversity.compute([[0.5]], reference=vectors)


# ---- finmon.diversity.genotype -----------------------------------------------------


def pairwise_hamming(genotypes: list[tuple[object, ...]]) -> float:
    """Mean normalised Hamming distance over pairs i < j, the obvious way."""
    n = len(genotypes)
    if n < 2:
        return 0.0
    total = sum(sum(a != b for a, b in zip(genotypes[i], genotypes[j])) / len(genotypes[i])
                for i in range(n) for j in range(i + 1, n))
    return total / (n * (n - 1) / 2)


@pytest.mark.parametrize("seed", range(5))
def test_genotype_matches_pairwise_hamming(seed: int) -> None:
    rng = np.random.default_rng(seed)
    kinds = ["rsi", "macd", "bollinger", "momentum"]
    genotypes = [(kinds[int(rng.integers(len(kinds)))], int(rng.integers(3)), ("long", "short")[int(rng.integers(2))],
                  float(rng.integers(2)) / 2)
                 for _ in range(int(rng.integers(1, 40)))]
    assert diversity.genotype(genotypes) == pytest.approx(pairwise_hamming(genotypes), abs=1e-12)


def test_genotype_known_values_and_errors() -> None:
    assert diversity.genotype([("rsi", 14)] * 5) == 0.0
    assert diversity.genotype([("rsi", 14), ("macd", 26), ("bb", 20)]) == 1.0
    assert diversity.genotype(iter([["a"], ["b"], ["a"], ["b"]])) == pytest.approx(4 / 6)
    # Genes compare as Python's == does: 1 and 1.0 are one gene, (1, 2) a gene too.
    assert diversity.genotype([(1, (1, 2)), (1.0, (1, 2))]) == 0.0
    with pytest.raises(finmon.InvalidArgumentError, match="population is empty"):
        diversity.genotype([])
    with pytest.raises(finmon.InvalidArgumentError, match="no components"):
        diversity.genotype([(), ()])
    with pytest.raises(finmon.InvalidArgumentError, match="genotype 1 has 1 genes, expected 2"):
        diversity.genotype([("a", "b"), ("a",)])
    with pytest.raises(TypeError, match="genotype 0 is a str"):
        diversity.genotype(["ab", "cd"])
    with pytest.raises(TypeError, match="unhashable"):
        diversity.genotype([([1],)])


# ---- finmon.diversity.unique_fraction ----------------------------------------------


def test_unique_fraction_and_count() -> None:
    fingerprints = ["a1", "b2", "a1", "c3"]
    assert diversity.unique_fraction(fingerprints) == 0.75
    assert diversity.unique_count(fingerprints) == 3
    assert diversity.unique_fraction([]) == 0.0
    assert diversity.unique_count([]) == 0
    assert diversity.unique_fraction(iter(["x"] * 10)) == 0.1


def test_unique_fraction_compares_like_python() -> None:
    # Precomposed and decomposed "é" are different str values in Python, and so here.
    assert diversity.unique_count(["\u00e9", "e\u0301"]) == 2
    assert diversity.unique_count([b"a\x00b", b"a\x00c", b"a"]) == 3
    assert diversity.unique_count(["", b"", ""]) == 1
    rng = np.random.default_rng(3)
    many = [f"{value:x}" for value in rng.integers(0, 500, size=2000)]
    assert diversity.unique_count(many) == len(set(many))
    assert diversity.unique_fraction(many) == len(set(many)) / len(many)


def test_unique_fraction_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="fingerprint 1 must be str or bytes, got int"):
        diversity.unique_fraction(["a", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not a single str"):
        diversity.unique_fraction("abc")
    with pytest.raises(finmon.InvalidArgumentError, match="fingerprint 0 is not valid text"):
        diversity.unique_fraction(["\ud800"])


# ---- the C ABI's own checks (what a C caller, not the shim, could pass) -------------


def test_the_abi_refuses_bad_buffers_without_crashing() -> None:
    import ctypes

    from finmon import _native

    out = ctypes.c_double(-1.0)
    compute = _native.blocking.finmon_diversity_compute
    lower = (ctypes.c_double * 2)(0.0, 0.0)
    upper = (ctypes.c_double * 2)(1.0, 1.0)
    assert compute(None, 3, 2, lower, upper, ctypes.byref(out)) == -2
    assert "values is NULL" in _native.last_error()
    assert compute(None, 2**62, 4, lower, upper, ctypes.byref(out)) == -1
    assert "overflows" in _native.last_error()
    assert compute(None, 2**64 - 1, 1, lower, upper, ctypes.byref(out)) == -1
    assert "rows and cols must be >= 0" in _native.last_error()
    assert compute(None, 0, 2**40, None, None, ctypes.byref(out)) == -1  # no bound is read
    assert "population is empty" in _native.last_error()
    values = (ctypes.c_double * 2)(1.0, 2.0)
    assert compute(values, 2, 1, lower, upper, None) == -2
    assert compute(values, 2, 1, None, upper, ctypes.byref(out)) == -2
    assert "lower is NULL" in _native.last_error()
    upper[0] = -1.0
    assert compute(values, 2, 1, lower, upper, ctypes.byref(out)) == -1
    assert "bounds of parameter 0" in _native.last_error()
    assert out.value == -1.0  # out-parameters are untouched on failure

    ranges = _native.blocking.finmon_diversity_ranges
    assert ranges(values, 2, 1, lower, None) == -2
    assert ranges(values, 0, 1, lower, upper) == -1
    assert ranges(values, 2, 1, lower, upper) == 0 and (lower[0], upper[0]) == (1.0, 2.0)

    genotype = _native.blocking.finmon_diversity_genotype
    codes = (ctypes.c_uint64 * 4)(1, 2, 1, 3)
    assert genotype(None, 2, 2, ctypes.byref(out)) == -2
    assert genotype(codes, 2, 0, ctypes.byref(out)) == -1
    assert genotype(codes, 2, 2, None) == -2
    assert genotype(codes, 2, 2, ctypes.byref(out)) == 0 and out.value == 0.5

    unique = _native.hot.finmon_diversity_unique_fraction
    assert unique(None, None, 0, ctypes.byref(out), None) == 0 and out.value == 0.0
    assert unique(None, None, 2, ctypes.byref(out), None) == -2
    pointers = (ctypes.c_char_p * 2)(b"ab", None)
    lengths = (ctypes.c_size_t * 2)(2, 0)
    assert unique(pointers, lengths, 2, ctypes.byref(out), None) == 0 and out.value == 1.0
    lengths[1] = 1
    assert unique(pointers, lengths, 2, ctypes.byref(out), None) == -2
    assert "fingerprints[1] is NULL" in _native.last_error()


def test_the_abi_refuses_a_freed_collector(collector: finmon.MetricsCollector) -> None:
    import ctypes

    from finmon import _native

    handle = collector._live_handle()
    collector.close()
    assert _native.hot.finmon_diversity_record(handle, 1, 0.5, 1, 2) == -3
    result = ctypes.c_int(-1)
    assert _native.hot.finmon_diversity_check_collapse(None, 5, 0.1, ctypes.byref(result)) == -2
    assert result.value == -1
