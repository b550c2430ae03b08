"""How often high_cpu fires on a busy machine, by hold-down (for:) and hysteresis: the
measurement behind the shipped defaults (for_seconds.high_cpu 300, hysteresis.high_cpu 10).

Two steps, so the slow one (sampling a real, busy machine) is done once:

    # Host CPU every 5 s (psutil.cpu_percent, finmon's system_cpu_usage_percent) for 20 min,
    # while the machine does what it does (here: other jobs' builds and the test suite).
    python3 Benchmarks/bench_flapping.py record --minutes 20 --output cpu.csv
    # Replay through finmon's own AlertEngine (Benchmarks/swift FlapBench) for several
    # settings and thresholds; writes the table.
    swift build -c release --package-path Benchmarks/swift --product FlapBench
    python3 Benchmarks/bench_flapping.py replay cpu.csv --output Benchmarks/RESULTS-flapping.md
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLAPBENCH = HERE / "swift" / ".build" / "release" / "FlapBench"
INTERVAL = 5.0


def record(minutes: float, output: Path) -> None:
    import psutil

    psutil.cpu_percent(interval=None)  # the baseline, as finmon's first tick
    start = time.monotonic()
    with open(output, "w", encoding="utf-8") as out:
        tick = start
        while tick - start < minutes * 60:
            tick += INTERVAL
            time.sleep(max(tick - time.monotonic(), 0))
            out.write(f"{time.monotonic() - start:.3f},{psutil.cpu_percent(interval=None):.1f}\n")
            out.flush()


def replay(samples: Path, output: Path | None, thresholds: list[str]) -> None:
    text = samples.read_text()
    values = [float(line.split(",")[1]) for line in text.splitlines() if line.strip()]
    result = subprocess.run([str(FLAPBENCH), *thresholds], input=text, capture_output=True, text=True, check=True)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    minutes = len(values) * INTERVAL / 60
    lines = [
        "# high_cpu on a busy machine: fires by hold-down and hysteresis",
        "",
        f"{len(values)} samples of host CPU, one every {INTERVAL:g} s ({minutes:.0f} minutes), on this project's",
        "2-core shared machine while other jobs built and tested (`bench_flapping.py record`), replayed",
        "through finmon's AlertEngine (`Benchmarks/swift` FlapBench) with each setting. CPU over the",
        f"recording: median {statistics.median(values):.1f}%, 90th percentile "
        f"{statistics.quantiles(values, n=10)[-1]:.1f}%, maximum {max(values):.1f}%; "
        f"{sum(v > 90 for v in values)} samples above 90%.",
        "",
        "| threshold % | for: s | hysteresis points | fired | resolved | minutes firing |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(f"| {row['threshold']} | {row['for_seconds']} | {row['hysteresis']} | {row['fired']} "
                     f"| {row['resolved']} | {float(row['seconds_firing']) / 60:.1f} |")
    text_out = "\n".join(lines) + "\n"
    if output is None:
        sys.stdout.write(text_out)
    else:
        output.write_text(text_out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record", help="sample host CPU every 5 s")
    rec.add_argument("--minutes", type=float, default=20)
    rec.add_argument("--output", type=Path, required=True)
    rep = commands.add_parser("replay", help="replay samples through finmon's alert engine")
    rep.add_argument("samples", type=Path)
    rep.add_argument("--output", type=Path, default=None)
    rep.add_argument("--thresholds", nargs="*", default=["90", "80", "70", "50"])
    args = parser.parse_args()
    if args.command == "record":
        record(args.minutes, args.output)
    else:
        replay(args.samples, args.output, args.thresholds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
