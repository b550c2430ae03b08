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
sections of their own too, so the order moves them one by one.)
"""

from __future__ import annotations

import argparse
import os
import re
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
for path in ("/metrics", "/metrics", "/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
        response.read()
for cid in ids[100:]:
    labeled.remove(cid)
collector.close()
'''


def functions_run(library: Path) -> list[str]:
    """The mangled names of the library's functions that the workload ran."""
    with tempfile.TemporaryDirectory() as folder:
        stripped = Path(folder) / "libfinmon.so"
        # valgrind cannot read the toolchain's DWARF 5: a copy without debug information.
        subprocess.run(["objcopy", "--strip-debug", str(library), str(stripped)], check=True)
        out = Path(folder) / "callgrind.out"
        env = dict(os.environ, FINMON_LIB=str(stripped), PYTHONPATH=str(ROOT / "python"))
        subprocess.run(["valgrind", "--tool=callgrind", "--quiet", f"--callgrind-out-file={out}",
                        "--compress-strings=no", "--compress-pos=no", "--demangle=no",
                        sys.executable, "-c", WORKLOAD], check=True, env=env)
        names: set[str] = set()
        ours = os.path.realpath(stripped)
        current_object = ""
        with open(out) as profile:
            for line in profile:
                if line.startswith("ob="):
                    current_object = os.path.realpath(line[3:].strip())
                elif line.startswith("fn=") and current_object == ours:
                    name = re.sub(r"'\d+$", "", line[3:].strip())  # callgrind's recursion marks
                    if not name.startswith("0x"):  # code without a symbol: nothing to order
                        names.add(name)
    return sorted(names)


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
