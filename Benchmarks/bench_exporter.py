"""The exporter under attack, side by side with prometheus_client's ``start_http_server``.

Each server runs in a host process of its own with the common 1,024-descriptor limit,
serving finmon's catalog (prometheus_client: a registry with the same number of series).
For each, in one run:

1. a normal scrape's latency without attack (median of ``--scrapes`` fresh connections);
2. the audit's attack from another process (``python/tests/abuse_client.py``): idle
   connections, slowloris connections and a scrape flood at once, while the bench scrapes
   every 50 ms with a 2 s deadline: scrapes answered and failed, their median and 95th
   percentile latency, and the host's peak descriptor and thread counts;
3. the host's descriptors after the attack.

    swift build -c release
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so python3 Benchmarks/bench_exporter.py
    ... python3 Benchmarks/bench_exporter.py --idle 2000 --rate 500 --slowloris 300 --flood-threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "python" / "tests" / "abuse_client.py"

HOST = """
import os, resource, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
kind = sys.argv[1]
if kind == "finmon":
    import finmon
    collector = finmon.MetricsCollector()
    port = collector.start_http_server(port=0)
else:
    import socket, prometheus_client
    registry = prometheus_client.CollectorRegistry()
    # About as many series as finmon's catalog exposes.
    gauge = prometheus_client.Gauge("series", "One of many.", ["n"], registry=registry)
    for n in range(120):
        gauge.labels(str(n)).set(n)
    probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
    prometheus_client.start_http_server(port, addr="127.0.0.1", registry=registry)
print(port, flush=True)
sys.stdin.read()  # until the bench closes our stdin
"""


def scrape(port: int, timeout: float) -> float | None:
    """Seconds for one scrape on a fresh connection, None when it failed or passed ``timeout``."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as response:
            response.read()
        return time.perf_counter() - start
    except OSError:
        return None


def count(pid: int, what: str) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/{what}"))
    except OSError:
        return -1


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def measure(kind: str, args: argparse.Namespace) -> dict[str, object]:
    host = subprocess.Popen([sys.executable, "-c", HOST, kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=os.environ)
    assert host.stdout is not None and host.stdin is not None
    port = int(host.stdout.readline())
    try:
        quiet = [t for t in (scrape(port, 5) for _ in range(args.scrapes)) if t is not None]
        result: dict[str, object] = {"server": kind, "quiet_median_ms": statistics.median(quiet) * 1e3,
                                     "fds_before": count(host.pid, "fd")}
        peaks = {"fd": 0, "task": 0}
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for what in peaks:
                    peaks[what] = max(peaks[what], count(host.pid, what))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        attack = subprocess.Popen(
            [sys.executable, str(CLIENT), str(port), "--idle", str(args.idle), "--rate", str(args.rate),
             "--slowloris", str(args.slowloris), "--flood-threads", str(args.flood_threads),
             "--seconds", str(args.seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        latencies: list[float] = []
        failed = 0
        while attack.poll() is None:
            latency = scrape(port, 2.0)
            if latency is None:
                failed += 1
            else:
                latencies.append(latency)
            time.sleep(0.05)
        out, _ = attack.communicate(timeout=120)
        done.set()
        sampler.join()
        flood = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        deadline = time.monotonic() + 30
        while count(host.pid, "fd") > result["fds_before"] and time.monotonic() < deadline:  # type: ignore[operator]
            time.sleep(0.1)
        result.update({
            "answered": len(latencies), "failed": failed,
            "median_ms": statistics.median(latencies) * 1e3 if latencies else float("nan"),
            "p95_ms": percentile(latencies, 0.95) * 1e3, "peak_fds": peaks["fd"], "peak_threads": peaks["task"],
            "fds_after": count(host.pid, "fd"), "flood_ok": flood.get("flood_ok", 0),
            "alive": host.poll() is None and scrape(port, 5) is not None,
        })
        return result
    finally:
        host.stdin.close()
        host.terminate()
        host.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--slowloris", type=int, default=300)
    parser.add_argument("--flood-threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()
    rows = [measure(kind, args) for kind in ("finmon", "prometheus_client")]
    print(f"attack: {args.idle} idle connections at {args.rate:g}/s, {args.slowloris} slowloris, "
          f"{args.flood_threads} flood clients, then {args.seconds:g} s more; host RLIMIT_NOFILE 1024; "
          f"scrapes every 50 ms with a 2 s deadline")
    header = ("server", "quiet ms", "answered", "failed", "median ms", "p95 ms", "peak fds", "peak threads",
              "fds before", "fds after", "flood ok", "alive")
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(round(v, 2) if isinstance(v, float) else v) for v in (
            row["server"], row["quiet_median_ms"], row["answered"], row["failed"], row["median_ms"], row["p95_ms"],
            row["peak_fds"], row["peak_threads"], row["fds_before"], row["fds_after"], row["flood_ok"],
            row["alive"])))
    finmon_row, client_row = rows
    print(f"ratio of quiet scrape latency, finmon / prometheus_client: "
          f"{finmon_row['quiet_median_ms'] / client_row['quiet_median_ms']:.2f}")  # type: ignore[operator]


if __name__ == "__main__":
    main()
