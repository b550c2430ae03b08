"""finmon.diversity through the shim: the O(N*L) formula against an O(N^2) reference,
frozen ranges, genotype and unique fractions, and bad input (and bad C ABI arguments)
refused with a clear message or status and nothing changed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import finmon
from finmon import diversity

from .test_diversity import SEARCH_SPACE, _fresh_frozen_ranges, converged_population, pairwise_reference, random_population


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
    assert compute(None, 3, 2, lower, upper, ctypes.byref(out)) == finmon.Status.NULL_POINTER
    assert "values is NULL" in _native.last_error()
    assert compute(None, 2**62, 4, lower, upper, ctypes.byref(out)) == finmon.Status.INVALID_ARGUMENT
    assert "overflows" in _native.last_error()
    assert compute(None, 2**64 - 1, 1, lower, upper, ctypes.byref(out)) == finmon.Status.INVALID_ARGUMENT
    assert "rows and cols must be >= 0" in _native.last_error()
    assert compute(None, 0, 2**40, None, None, ctypes.byref(out)) == finmon.Status.INVALID_ARGUMENT  # no bound is read
    assert "population is empty" in _native.last_error()
    values = (ctypes.c_double * 2)(1.0, 2.0)
    assert compute(values, 2, 1, lower, upper, None) == finmon.Status.NULL_POINTER
    assert compute(values, 2, 1, None, upper, ctypes.byref(out)) == finmon.Status.NULL_POINTER
    assert "lower is NULL" in _native.last_error()
    upper[0] = -1.0
    assert compute(values, 2, 1, lower, upper, ctypes.byref(out)) == finmon.Status.INVALID_ARGUMENT
    assert "bounds of parameter 0" in _native.last_error()
    assert out.value == -1.0  # out-parameters are untouched on failure

    ranges = _native.blocking.finmon_diversity_ranges
    assert ranges(values, 2, 1, lower, None) == finmon.Status.NULL_POINTER
    assert ranges(values, 0, 1, lower, upper) == finmon.Status.INVALID_ARGUMENT
    assert ranges(values, 2, 1, lower, upper) == 0 and (lower[0], upper[0]) == (1.0, 2.0)

    genotype = _native.blocking.finmon_diversity_genotype
    codes = (ctypes.c_uint64 * 4)(1, 2, 1, 3)
    assert genotype(None, 2, 2, ctypes.byref(out)) == finmon.Status.NULL_POINTER
    assert genotype(codes, 2, 0, ctypes.byref(out)) == finmon.Status.INVALID_ARGUMENT
    assert genotype(codes, 2, 2, None) == finmon.Status.NULL_POINTER
    assert genotype(codes, 2, 2, ctypes.byref(out)) == 0 and out.value == 0.5

    unique = _native.hot.finmon_diversity_unique_fraction
    assert unique(None, None, 0, ctypes.byref(out), None) == 0 and out.value == 0.0
    assert unique(None, None, 2, ctypes.byref(out), None) == finmon.Status.NULL_POINTER
    pointers = (ctypes.c_char_p * 2)(b"ab", None)
    lengths = (ctypes.c_size_t * 2)(2, 0)
    assert unique(pointers, lengths, 2, ctypes.byref(out), None) == 0 and out.value == 1.0
    lengths[1] = 1
    assert unique(pointers, lengths, 2, ctypes.byref(out), None) == finmon.Status.NULL_POINTER
    assert "fingerprints[1] is NULL" in _native.last_error()


def test_the_abi_refuses_a_freed_collector(collector: finmon.MetricsCollector) -> None:
    import ctypes

    from finmon import _native

    handle = collector._live_handle()
    collector.close()
    assert _native.hot.finmon_diversity_record(handle, 1, 0.5, 1, 2) == finmon.Status.INVALID_HANDLE
    result = ctypes.c_int(-1)
    assert _native.hot.finmon_diversity_check_collapse(None, 5, 0.1, ctypes.byref(result)) == finmon.Status.NULL_POINTER
    assert result.value == -1
