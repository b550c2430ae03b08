"""Instructions (callgrind Ir) and system calls of one resource sampling tick, finmon beside
psutil, counted where times are not stable (a shared 2-core machine). Each variant runs in
a fresh interpreter under ``valgrind --tool=callgrind`` (and under ``strace -c -f`` for the
system calls) with K and with 0 ticks after a warm-up tick; the difference over K is one
tick, import and set-up excluded. callgrind counts user-space instructions only: the
kernel's work producing /proc files is in the system calls, not in Ir.

    swift build -c release
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so \\
        python3 Benchmarks/bench_tick_instructions.py [--count 200]

Variants are those of ``bench_resources.py`` part 1: ``finmon`` (``finmon_resource_sample_now``
without the JSON), ``psutil`` (cpu + memory + disk) and ``psutil-process`` (the same plus
this process's figures under ``oneshot()``).
"""

from __future__ import annotations

import argparse
import os
import sys

VARIANTS = ("finmon", "psutil", "psutil-process")


def run(kind: str, count: int) -> None:
    import bench_resources

    if kind == "finmon":
        import finmon

        collector = finmon.MetricsCollector()
        finmon.ResourceMonitor(collector)
        tick = bench_resources.finmon_tick(collector._live_handle())
    elif kind == "psutil":
        tick = bench_resources.psutil_tick
    else:
        tick = bench_resources.psutil_tick_with_process
    tick()
    for _ in range(count):
        tick()


def measured(kind: str, ticks: int, tool: str) -> int:
    """Ir (tool "callgrind") or system calls (tool "strace") of one run doing ``ticks`` ticks."""
    from instruction_count import count

    return count([sys.executable, __file__, "--op", kind, "--count", str(ticks)], tool=tool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="ticks counted per variant")
    parser.add_argument("--only", default=",".join(VARIANTS))
    parser.add_argument("--op", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if args.op:  # one measured process
        run(args.op, args.count)
        return
    import finmon._native as native
    from instruction_count import per_operation

    print(f"library {native.library_path()}; per tick, ({args.count} - 0) / {args.count}")
    for kind in args.only.split(","):
        ir = per_operation(lambda k, kind=kind: measured(kind, k, "callgrind"), args.count)
        calls = per_operation(lambda k, kind=kind: measured(kind, k, "strace"), args.count)
        print(f"  {kind:<16} {ir:10.0f} Ir   {calls:6.1f} system calls", flush=True)


if __name__ == "__main__":
    main()
