"""finmon.diversity.compute (O(N*L), Swift) against a straightforward O(N^2) NumPy reference.

The reference computes the documented formula directly: scale each parameter by its
bounds (here the population's own minimum and maximum, passed to finmon as ``bounds``),
then sum the squared distances over all pairs, vectorised over the other vectors of each
row (and, second, fully broadcast as one N x N x L array). The issue asks for at least 10x
at N=500, L=32.

    swift build -c release
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so python3 Benchmarks/bench_diversity.py
"""

from __future__ import annotations

import argparse
import math
import timeit

import numpy as np

from finmon import diversity


def scaled(vectors: np.ndarray) -> np.ndarray:
    lo, hi = vectors.min(axis=0), vectors.max(axis=0)
    span = hi - lo
    return np.where(span > 0, (vectors - lo) / np.where(span > 0, span, 1.0), 0.0)


def reference_rows(vectors: np.ndarray) -> float:
    """O(N^2 * L): one vectorised pass over the later vectors per vector."""
    y = scaled(vectors)
    n, length = y.shape
    total = 0.0
    for i in range(n - 1):
        total += float(np.sum((y[i + 1:] - y[i]) ** 2))
    return min(1.0, math.sqrt(4.0 * total / (n * n * length)))


def reference_broadcast(vectors: np.ndarray) -> float:
    """O(N^2 * L) in one N x N x L array (ordered pairs, so half of it)."""
    y = scaled(vectors)
    n, length = y.shape
    total = float(np.sum((y[:, None, :] - y[None, :, :]) ** 2)) / 2
    return min(1.0, math.sqrt(4.0 * total / (n * n * length)))


def best_seconds(function, argument, repeat: int) -> float:
    timer = timeit.Timer(lambda: function(argument))
    loops, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=loops)) / loops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--cols", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    vectors = np.random.default_rng(0).normal(size=(args.rows, args.cols))
    bounds = [(float(lo), float(hi)) for lo, hi in zip(vectors.min(axis=0), vectors.max(axis=0))]
    ours = diversity.compute(vectors, bounds=bounds)
    for reference in (reference_rows, reference_broadcast):
        difference = abs(ours - reference(vectors))
        assert difference <= 1e-9, f"{reference.__name__} differs by {difference}"

    finmon_seconds = best_seconds(lambda v: diversity.compute(v, bounds=bounds), vectors, args.repeat)
    print(f"N={args.rows} L={args.cols}: diversity={ours:.12f}")
    print(f"  finmon.diversity.compute      {finmon_seconds * 1e6:10.1f} us")
    for reference in (reference_rows, reference_broadcast):
        seconds = best_seconds(reference, vectors, args.repeat)
        print(f"  {reference.__name__:<28}  {seconds * 1e6:10.1f} us   ratio {seconds / finmon_seconds:7.1f}x")


if __name__ == "__main__":
    main()
