"""The spine's benchmarks (issue #2 item 9): finmon against prometheus_client, in one run.

    swift build -c release --product finmon -Xswiftc -Xfrontend -Xswiftc -function-sections  # as python/setup.py
    swift build -c release --package-path Benchmarks/swift --product RegistryBench   # for (d)
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so python3 Benchmarks/bench_spine.py

(a) cost of one loop iteration's metric updates from Python (1 observe, 1 inc, 5 gauge sets,
    20 labeled gauge sets): prometheus_client two ways, finmon six (per call, Batch,
    record_iteration, PreparedBatch), plus a breakdown of where finmon's time goes;
(b) /metrics latency and server CPU per scrape at 100 / 1,000 / 10,000 series, each server
    in its own subprocess (CPU from psutil.Process(pid).cpu_times());
(c) RSS added by import + exporter + 10,000 labeled series, fresh subprocesses;
(d) creating and removing 10,000 labeled series: finmon and prometheus_client from Python,
    and FinMonCore's registry against swift-prometheus 2.4.1 in Swift (Benchmarks/swift);
(e) one iteration's updates in situ: each measured alone right after 5 ms of Python work.

The machine is shared (2 cores, other jobs running), so every figure is repeated and the
variants are interleaved round by round; the report gives medians with their interquartile
range, and minimums where a best case is the fairer reading. Results go to
Benchmarks/RESULTS-spine.md (see --output). ``--quick`` runs tiny counts to check the script.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from spine_common import HERE
from spine_insitu import bench_in_situ
from spine_iteration import bench_iteration
from spine_report import machine, render
from spine_scrapes import bench_scrapes, serve
from spine_series import bench_churn, bench_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny counts: check that the script runs")
    parser.add_argument("--only", default="abcde", help="which sections to run, e.g. 'ab'")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS-spine.md")
    parser.add_argument("--serve", choices=["finmon", "prometheus_client"], help=argparse.SUPPRESS)
    parser.add_argument("--series", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.series)
        return

    started = time.time()
    report: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M %Z"),
                    "load": [", ".join(f"{x:.1f}" for x in os.getloadavg())]}
    quick = args.quick
    if "a" in args.only:
        print("(a) loop iteration ...", flush=True)
        # Many short measurements rather than a few long ones: on a shared machine a burst of
        # load then spoils a few measurements instead of shifting them all.
        report["iteration"] = bench_iteration(iterations=500 if quick else 5_000, repeats=3 if quick else 21)
    if "b" in args.only:
        print("(b) scrapes ...", flush=True)
        sizes = [100, 1_000, 10_000]
        report["scrapes"] = bench_scrapes(sizes, budget=0.05 if quick else 1.0, rounds=2 if quick else 7)
    if "c" in args.only:
        print("(c) RSS ...", flush=True)
        report["rss"] = bench_rss(series=10_000, repeats=2 if quick else 7)
    if "d" in args.only:
        print("(d) series churn ...", flush=True)
        report["churn"] = bench_churn(series=10_000, repeats=2 if quick else 7)
    if "e" in args.only:
        print("(e) in situ ...", flush=True)
        report["in_situ"] = bench_in_situ(per_round=5 if quick else 40, rounds=2 if quick else 15)
    report["load"].append(", ".join(f"{x:.1f}" for x in os.getloadavg()))
    report["seconds"] = time.time() - started
    text = render(report)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
