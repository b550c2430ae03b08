"""Instructions (callgrind Ir) of the loop's hot path through the C ABI: the calls a loop
iteration makes, counted where times are not stable (a shared 2-core machine). Each
operation runs in a fresh interpreter under ``valgrind --tool=callgrind`` with K and with
0 repetitions; the difference over K is one operation, import and set-up excluded.

    swift build -c release
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so \\
        python3 Benchmarks/bench_hotpath_instructions.py [--count 2000]

Operations: ``prepared-batch`` (``PreparedBatch.apply`` of the 27 updates of one
iteration: 1 observe, 1 inc, 5 gauge sets, 20 labelled gauge sets), ``child-set`` (one
``Child.set``), ``counter-inc`` (one ``Counter.inc`` without labels), ``record-iteration``
(``MetricsCollector.record_iteration`` with both optional figures), ``labels`` (a
labelled child looked up again), ``sample-value`` (``get_sample_value``, which reads a
status code). Compare the numbers of two libraries from one machine; the absolute values
depend on the Python build.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable

OPERATIONS = ("prepared-batch", "child-set", "counter-inc", "record-iteration", "labels", "sample-value")


def operation(kind: str) -> Callable[[], object]:
    import finmon

    collector = finmon.MetricsCollector()
    gauges = [collector.gauge(f"bench_gauge_{i}", "a gauge") for i in range(5)]
    labelled = collector.gauge("bench_labelled", "a labelled gauge", ["container_id"])
    children = [labelled.labels(container_id=f"c{i}") for i in range(20)]
    if kind == "prepared-batch":
        batch = collector.prepare_batch([("observe", collector.execution_time), ("inc", collector.strategy_success)]
                                        + [("set", gauge) for gauge in gauges]
                                        + [("set", child) for child in children])
        values = [1.5, 1.0] + [float(i) for i in range(25)]
        return lambda: batch.apply(values)
    if kind == "child-set":
        return lambda: children[3].set(4.5)
    if kind == "counter-inc":
        return lambda: collector.strategy_success.inc()
    if kind == "record-iteration":
        iteration = iter(range(10**9))
        return lambda: collector.record_iteration(next(iteration), True, 0.8, sharpe=1.2, max_drawdown=-0.1)
    if kind == "labels":
        return lambda: labelled.labels(container_id="c7")
    if kind == "sample-value":
        return lambda: collector.get_sample_value("bench_labelled", {"container_id": "missing"})
    raise ValueError(kind)


def instructions(kind: str, count: int) -> int:
    """Instructions of one run of this script doing ``count`` operations. The library runs
    as a copy without debug information: valgrind cannot read the toolchain's DWARF 5."""
    import finmon._native as native

    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        library = os.path.join(folder, "libfinmon.so")
        subprocess.run(["objcopy", "--strip-debug", str(native.library_path()), library], check=True)
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                        "--op", kind, "--count", str(count)],
                       check=True, capture_output=True, env={**os.environ, "FINMON_LIB": library})
        with open(out) as profile:
            match = re.search(r"^(?:summary|totals): (\d+)", profile.read(), re.MULTILINE)
    assert match, "no instruction total in the callgrind output"
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="repetitions counted per operation")
    parser.add_argument("--only", default=",".join(OPERATIONS))
    parser.add_argument("--op", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.op:  # one measured process
        run = operation(args.op)
        for _ in range(args.count):
            run()
        return
    import finmon._native as native

    print(f"library {native.library_path()}; instructions per operation, ({args.count} - 0) / {args.count}")
    for kind in args.only.split(","):
        base = instructions(kind, 0)
        per = (instructions(kind, args.count) - base) / args.count
        print(f"  {kind:<18} {per:10.0f} Ir   (import and set-up: {base / 1e6:.1f} M)")


if __name__ == "__main__":
    main()
