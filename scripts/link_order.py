"""Regenerate Sources/FinMonExports/link-order.txt: the functions of libfinmon.so that a
loop runs, which the link lays out together (see Package.swift, issue #16).

Why: the kernel maps a shared library's code in 64 KB chunks around each page fault
(fault-around). The few hundred KB a loop runs were spread over most of the library's
~8 MB of code, so a process that had only imported finmon, made a collector and started
the exporter had ~6 MB of the library's code resident. Listed together, they fill a
handful of chunks.

How: the workload below (import, MetricsCollector(), the exporter, labelled series,
every update path, scrapes, removals, close) runs in a fresh interpreter under
``valgrind --tool=callgrind``; every function of the library that ran is written, one
mangled name a line, sorted (so a regenerated file diffs cleanly). Names that later
disappear from the code are skipped by the linker; re-run this after large changes:

    swift build -c release --product finmon -Xswiftc -Xfrontend -Xswiftc -function-sections
    python3 scripts/link_order.py            # then delete .build/release/libfinmon.so and
                                             # rebuild: the link reads the new file

(The same flags as python/setup.py's build: with them the dependencies' functions have
sections of their own too, so the order moves them one by one. Functions without a symbol,
which no order can name, are gathered by Sources/FinMonExports/private-text.ld.)
"""

from __future__ import annotations

import argparse
import bisect
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "Sources" / "FinMonExports" / "link-order.txt"

WORKLOAD = r'''
import urllib.request
import finmon

collector = finmon.MetricsCollector()
port = collector.start_http_server(port=0)
labeled = collector.container_memory_usage
ids = [f"c{i:04d}" for i in range(200)]
children = [labeled.labels(container_id=cid) for cid in ids]
prepared = collector.prepare_batch(
    [("observe", collector.execution_time), ("inc", collector.strategy_success)]
    + [("set", child) for child in children[:20]])
for i in range(50):
    v = (i & 63) * 0.25
    collector.execution_time.observe(v)
    collector.strategy_success.inc()
    collector.population_diversity.set(v)
    for cid in ids[:20]:
        labeled.labels(container_id=cid).set(v)
    with collector.batch() as b:
        b.observe(collector.execution_time, v)
        b.inc(collector.strategy_success)
        for child in children[:20]:
            b.set(child, v)
    prepared.apply([v, 1.0] + [v] * 20)
# A family the loop declares itself (labels passed in from Python), with enough series
# that a scrape's body fills the socket's buffer (the writability events).
custom = collector.gauge("link_order_series_bytes", "Series of the workload.", ["container_id"])
for i in range(3000):
    custom.labels(container_id=f"{(i * 2654435761) & 0xFFFFFFFFFFFF:012x}").set(i)
for path in ("/metrics", "/metrics", "/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
        response.read()
for cid in ids[100:]:
    labeled.remove(cid)
collector.close()
'''


def functions_run(library: Path) -> list[str]:
    """The mangled names of the library's functions that the workload ran.

    Each instruction callgrind counted is mapped to the function holding it through the
    library's own symbol table (``nm``). Callgrind's per-function names are not used: it
    misses some functions (it folds them into their callers), and every function missed
    that way stays where it is and costs a 64 KB chunk of its own.
    """
    with tempfile.TemporaryDirectory() as folder:
        stripped = Path(folder) / "libfinmon.so"
        # valgrind cannot read the toolchain's DWARF 5: a copy without debug information.
        subprocess.run(["objcopy", "--strip-debug", str(library), str(stripped)], check=True)
        out = Path(folder) / "callgrind.out"
        env = dict(os.environ, FINMON_LIB=str(stripped), PYTHONPATH=str(ROOT / "python"))
        subprocess.run(["valgrind", "--tool=callgrind", "--quiet", "--dump-instr=yes", "--vex-guest-chase=no",
                        f"--callgrind-out-file={out}", "--compress-strings=no", "--compress-pos=no", "--demangle=no",
                        sys.executable, "-c", WORKLOAD], check=True, env=env)
        starts, ends, symbols = _function_table(stripped)
        names: set[str] = set()
        ours = os.path.realpath(stripped)
        current_object = ""
        with open(out) as profile:
            for line in profile:
                if line.startswith("ob="):
                    current_object = os.path.realpath(line[3:].strip())
                elif line.startswith("0x") and current_object == ours:
                    # An instruction's address (the library's own addresses: callgrind
                    # reports them relative to the object), or a call site's.
                    # Code inside no symbol (private functions, gathered by
                    # private-text.ld) has nothing to order.
                    address = int(line.split()[0], 16)
                    index = bisect.bisect_right(starts, address) - 1
                    if index >= 0 and address < ends[index]:
                        names.add(symbols[index])
        # The C entry points (@_cdecl thunks of a few instructions each, ~5 KB in all) are
        # entered from libffi, whose assembly callgrind does not see call out: its counts
        # for them land in libffi's function. Listed whole instead.
        names.update(name for name in symbols if name.startswith("finmon_"))
    return sorted(names)


def _function_table(library: Path) -> tuple[list[int], list[int], list[str]]:
    """The library's function symbols by address: starts (sorted), ends and names."""
    listing = subprocess.run(["nm", "--numeric-sort", "--print-size", "--defined-only", str(library)],
                             check=True, capture_output=True, text=True).stdout
    starts: list[int] = []
    ends: list[int] = []
    symbols: list[str] = []
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in "tTwW":
            start = int(fields[0], 16)
            starts.append(start)
            ends.append(start + max(int(fields[1], 16), 1))
            symbols.append(fields[3])
    return starts, ends, symbols


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, default=ROOT / ".build" / "release" / "libfinmon.so")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    names = functions_run(args.library)
    args.output.write_text("\n".join(names) + "\n")
    print(f"{len(names)} functions -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
