"""Instructions (callgrind Ir) of the loop's hot path, finmon beside prometheus_client,
counted where times are not stable (a shared 2-core machine). Each operation runs in a
fresh interpreter under ``valgrind --tool=callgrind`` with K and with 0 repetitions; the
difference over K is one operation, import and set-up excluded.

    swift build -c release
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so \\
        python3 Benchmarks/bench_hotpath_instructions.py [--count 2000]

Operations (``fin-*`` on finmon, ``prom-*`` the same on prometheus_client):

- ``*-idiomatic``: one loop iteration's 27 updates (1 observe, 1 inc, 5 gauge sets, 20
  labelled gauge sets) with ``labels(container_id=cid)`` at every labelled update;
- ``*-prebound``: the same with the 20 children bound once;
- ``fin-prepared``: the same 27 updates as ``PreparedBatch.apply`` (finmon's best path),
  including building the value list, as ``bench_spine.py`` (a) does;
- ``*-child-set``, ``*-counter-inc``, ``*-observe``, ``*-labels``: one call each;
- ``*-create-remove``: one labelled series created (``labels(x).set(v)``) and removed;
  ``*-create`` and ``*-remove`` count the two halves apart (``remove`` of one of 2,000
  series created in the set-up, so ``--count`` must stay at most 2,000);
- ``fin-record-iteration``, ``fin-sample-value``: ``record_iteration`` with both figures,
  ``get_sample_value`` of a missing sample.

Ratios are prometheus_client's count / finmon's (above 1: finmon runs fewer instructions).
Compare the numbers of two libraries from one machine; the absolute values depend on the
Python build.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from instruction_count import count, per_operation
from spine_common import container_id
from spine_iteration import finmon_catalog, finmon_prepared, idiomatic, prebound, prometheus_catalog

PAIRS = ("idiomatic", "prebound", "child-set", "counter-inc", "observe", "labels", "create-remove", "create",
         "remove")
ONLY_FINMON = ("prepared", "record-iteration", "sample-value")
OPERATIONS = tuple(f"{lib}-{op}" for op in PAIRS for lib in ("fin", "prom")) + tuple(f"fin-{op}" for op in ONLY_FINMON)


def operation(kind: str) -> Callable[[int], None]:
    """A function doing ``n`` of the operation."""
    library, op = kind.split("-", 1)
    if library == "prom":
        registry, cat = prometheus_catalog()
        collector = None
    else:
        collector, cat = finmon_catalog()
    if op == "idiomatic":
        return idiomatic(cat)
    if op == "prebound":
        return prebound(cat)
    if op == "prepared":
        return finmon_prepared(collector, cat)
    child = cat.labeled.labels(container_id=cat.ids[3])
    labeled, histogram, counter, cid = cat.labeled, cat.histogram, cat.counter, cat.ids[7]

    def repeat(body: Callable[[], object]) -> Callable[[int], None]:
        def run(n: int) -> None:
            for _ in range(n):
                body()
        return run

    if op == "child-set":
        return repeat(lambda: child.set(4.5))
    if op == "counter-inc":
        return repeat(counter.inc)
    if op == "observe":
        return repeat(lambda: histogram.observe(1.7))
    if op == "labels":
        return repeat(lambda: labeled.labels(container_id=cid))
    if op == "create-remove":
        ids = [container_id(i) for i in range(1000, 1000 + 100_000)]

        def create_remove(n: int) -> None:
            for i in range(n):
                labeled.labels(container_id=ids[i]).set(1.0)
                labeled.remove(ids[i])
        return create_remove
    if op == "create":
        fresh = [container_id(i) for i in range(1000, 1000 + 100_000)]

        def create(n: int) -> None:
            for i in range(n):
                labeled.labels(container_id=fresh[i]).set(1.0)
        return create
    if op == "remove":
        present = [container_id(i) for i in range(1000, 1000 + 2000)]
        for value in present:
            labeled.labels(container_id=value).set(1.0)

        def remove(n: int) -> None:
            for i in range(n):
                labeled.remove(present[i])
        return remove
    if op == "record-iteration":
        assert collector is not None
        iteration = iter(range(10**9))
        return repeat(lambda: collector.record_iteration(next(iteration), True, 0.8, sharpe=1.2, max_drawdown=-0.1))
    if op == "sample-value":
        assert collector is not None
        return repeat(lambda: collector.get_sample_value("container_memory_usage_bytes", {"container_id": "missing"}))
    raise ValueError(kind)


def instructions(kind: str, repetitions: int) -> int:
    """Instructions of one run of this script doing ``repetitions`` operations."""
    return count([sys.executable, __file__, "--op", kind, "--count", str(repetitions)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="repetitions counted per operation")
    parser.add_argument("--only", default=",".join(OPERATIONS))
    parser.add_argument("--op", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.op:  # one measured process
        operation(args.op)(args.count)
        return
    import finmon._native as native

    print(f"library {native.library_path()}; instructions per operation, ({args.count} - 0) / {args.count}")
    per: dict[str, float] = {}
    for kind in args.only.split(","):
        per[kind] = per_operation(lambda k, kind=kind: instructions(kind, k), args.count)
        print(f"  {kind:<22} {per[kind]:10.0f} Ir", flush=True)
    print("\n| operation | finmon Ir | prometheus_client Ir | ratio |\n|---|---:|---:|---:|")
    for op in PAIRS + ONLY_FINMON:
        fin, prom = per.get(f"fin-{op}"), per.get(f"prom-{op}")
        if fin is None:
            continue
        ratio = f"{prom / fin:.2f}x" if prom else "-"
        print(f"| {op} | {fin:,.0f} | {f'{prom:,.0f}' if prom else '-'} | {ratio} |")


if __name__ == "__main__":
    main()
