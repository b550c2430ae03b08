"""The live page's cost (issue #15): the history's memory for 1,000 series over 24 hours at
the default resolution, what one sample costs, and the exporter's CPU for the page's data
requests at the refresh interval beside a plain /metrics scrape, in one run.

    swift build -c release
    swift build -c release --package-path Benchmarks/swift --product HistoryBench
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so python3 Benchmarks/bench_history.py

(a) HistoryBench (Benchmarks/swift): FinMonCore's MetricsHistory fed 17,280 samples of
    1,000 series in simulated time (24 h at 5 s): the points kept, the bytes of the arrays
    (capacities), the process' RSS growth, the time of one sample, the JSON sizes.
(b) A server subprocess (finmon.start with 1,000 series, history sampling every 0.1 s so
    it fills in seconds) answers, round by round and interleaved: GET /metrics (what
    Prometheus sends), GET /api/history?after=T (what the page polls: the newest points),
    and GET /api/history (what a page opening loads), all with Accept-Encoding: gzip. The
    server's CPU per request is psutil's user+system time of the process over a round,
    less the same time idle (its own sampling), divided by the requests.
Results go to Benchmarks/RESULTS-history.md (--output). ``--quick`` checks the script.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HISTORY_BENCH = HERE / "swift" / ".build" / "release" / "HistoryBench"

SERVER = r"""
import sys, tempfile, time
import finmon
series, interval = int(sys.argv[1]), sys.argv[2]
folder = tempfile.mkdtemp()
with open(folder + "/c.yaml", "w") as f:
    f.write(f'''monitoring:
  prometheus: {{port: 0}}
  container_monitor: {{enabled: false}}
  export: {{enabled: false}}
grafana: {{refresh_interval: "{interval}"}}
''')
runtime = finmon.start(folder + "/c.yaml")
gauges = [runtime.collector.gauge(f"bench_gauge_{i}", "bench") for i in range(series)]
for i, g in enumerate(gauges):
    g.set(i)
print(runtime.port, flush=True)
sys.stdin.readline()
runtime.stop()
"""


def page_names() -> str:
    """The series the live page asks for (as page.js computes them from the panels)."""
    sys.path.insert(0, str(ROOT / "python"))
    from finmon.livepage import spec

    names = {"process_resident_memory_bytes", "system_memory_usage_bytes"}

    def add(expr: dict | None) -> None:
        if not expr or "name" not in expr:
            return
        if expr["op"] == "rate_mean":
            names.update({expr["name"] + "_sum", expr["name"] + "_count"})
        elif expr["op"] == "quantile":
            names.add(expr["name"] + "_bucket")
        else:
            names.add(expr["name"])

    page = spec()
    for stat in page["stats"]:
        add(stat["expr"])
    for quadrant in page["quadrants"]:
        for panel in quadrant["panels"]:
            for line in panel["lines"]:
                add(line["expr"])
            if panel["threshold"]:
                add(panel["threshold"]["of"])
    return ",".join(sorted(names))


def run_history_bench(series: int, hours: float) -> dict[str, float]:
    if not HISTORY_BENCH.exists():
        sys.exit(f"build it first: swift build -c release --package-path Benchmarks/swift --product HistoryBench")
    out = subprocess.run([str(HISTORY_BENCH), str(series), str(hours)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


class Server:
    def __init__(self, extra_series: int, interval: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, str(extra_series), interval],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ)
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.ps = psutil.Process(self.process.pid)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def get(self, path: str) -> bytes:
        self.connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = self.connection.getresponse()
        body = response.read()
        assert response.status == 200, (path, response.status)
        return body

    def history(self) -> dict:
        self.connection.request("GET", "/api/history")
        response = self.connection.getresponse()
        return json.loads(response.read())

    def cpu(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        self.process.wait(timeout=30)


def cpu_per_request(server: Server, path: str, requests: int) -> tuple[float, int]:
    """Server CPU seconds per request over `requests` back-to-back requests, less the
    server's idle CPU over the same wall time (its own sampling and monitors)."""
    size = 0
    wall0, cpu0 = time.perf_counter(), server.cpu()
    for _ in range(requests):
        size = len(server.get(path))
    wall, cpu = time.perf_counter() - wall0, server.cpu() - cpu0
    idle0 = server.cpu()
    time.sleep(min(wall, 2.0))
    idle_rate = (server.cpu() - idle0) / min(wall, 2.0)
    return max(0.0, cpu - idle_rate * wall) / requests, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=str(HERE / "RESULTS-history.md"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    series, hours = (200, 1.0) if args.quick else (1_000, 24.0)
    rounds, requests = (2, 20) if args.quick else (7, 200)

    a = run_history_bench(series, hours)

    # (b) The server: the catalog's series plus gauges up to `series`.
    server = Server(extra_series=max(0, series - 60), interval="100ms")
    try:
        deadline = time.monotonic() + 120
        while len(server.history()["times"]) < (50 if args.quick else 600):
            assert time.monotonic() < deadline, "the history did not fill"
            time.sleep(0.5)
        doc = server.history()
        total_series = len(doc["series"])
        points = len(doc["times"])
        names = page_names()
        results: dict[str, list[float]] = {"scrape": [], "poll": [], "page": [], "full": []}
        sizes: dict[str, int] = {}
        for _ in range(rounds):
            last = server.history()["times"][-1]
            # The page's poll at a 5 s refresh asks for the points of the last 5 s; at this
            # server's 0.1 s sampling that is 50 points, so ask for one sample's worth
            # (what a 5 s history returns) by starting just before the newest point.
            for name, path in (("scrape", "/metrics"), ("poll", f"/api/history?after={last - 0.05}"),
                               ("page", f"/api/history?names={names}&after={last - 0.05}"),
                               ("full", "/api/history")):
                n = requests if name != "full" else max(5, requests // 20)
                cost, size = cpu_per_request(server, path, n)
                results[name].append(cost)
                sizes[name] = size
    finally:
        server.close()

    med = {k: statistics.median(v) for k, v in results.items()}
    q = {k: (statistics.quantiles(v, n=4)[0], statistics.quantiles(v, n=4)[2]) if len(v) > 1 else (v[0], v[0])
         for k, v in results.items()}
    refresh = 5.0
    lines = [
        "# The live page's cost: history memory and exporter CPU",
        "",
        f"`python3 Benchmarks/bench_history.py` on {platform.processor() or platform.machine()}, "
        f"{psutil.cpu_count()} cores shared with other jobs, release build, {time.strftime('%Y-%m-%d')}.",
        "",
        "## (a) The history: 1,000 series over 24 hours at the default resolution",
        "",
        f"HistoryBench fed `MetricsHistory` {a['samples']:,} samples of {a['series']:,} series "
        f"({a['hours']:g} h at {a['interval_seconds']:g} s, simulated time; the catalog's series plus plain gauges).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| points kept per series (hour / day / whole run) | {' / '.join(str(p) for p in a['points_per_series'])} |",
        f"| history arrays (capacities) | {a['history_bytes'] / 2**20:.1f} MiB ({a['history_bytes'] / a['series'] / 1024:.1f} KiB per series) |",
        f"| process RSS growth over the 24 h | {a['rss_growth_bytes'] / 2**20:.1f} MiB |",
        f"| one sample of all series (median / p99) | {a['sample_seconds_median'] * 1e3:.2f} ms / {a['sample_seconds_p99'] * 1e3:.2f} ms |",
        f"| sampling CPU at the 5 s interval | {a['sample_seconds_median'] / 5 * 100:.3f}% of one core |",
        f"| `/api/history` in full (page opening) | {a['full_json_bytes'] / 2**20:.1f} MiB JSON, rendered in {a['full_json_seconds'] * 1e3:.0f} ms |",
        f"| `/api/history?after=` one sample (page poll) | {a['poll_json_bytes'] / 1024:.1f} KiB JSON, rendered in {a['poll_json_seconds'] * 1e3:.2f} ms |",
        "",
        "The bound: at most 720 + 1,440 + 1,024 points per series (a run past about 10 days keeps "
        "1,024 whole-run points, each twice as wide), so 25 KiB per series and 24.3 MiB for 1,000 "
        "series however long the run.",
        "",
        f"## (b) Exporter CPU per request, {total_series:,} series, {points} points in the history",
        "",
        f"{rounds} rounds, interleaved; per round {requests} scrapes and polls and {max(5, requests // 20)} full loads, "
        "back to back on one keep-alive connection, Accept-Encoding: gzip; server CPU = psutil user+system of the "
        "server process less its idle rate. Median (interquartile range).",
        "",
        "| request | response (gzip) | CPU per request | at one request per 5 s refresh |",
        "|---|---|---|---|",
    ]
    labels = {"scrape": "`GET /metrics` (a plain scrape)",
              "poll": "`GET /api/history?after=T` (newest points of every series)",
              "page": "`GET /api/history?names=...&after=T` (the page's poll: the series it draws)",
              "full": f"`GET /api/history` ({points} points: the page opening)"}
    for name in ("scrape", "page", "poll", "full"):
        lines.append(f"| {labels[name]} | {sizes[name] / 1024:.1f} KiB | {med[name] * 1e3:.2f} ms "
                     f"({q[name][0] * 1e3:.2f}-{q[name][1] * 1e3:.2f}) | {med[name] / refresh * 100:.3f}% of one core |")
    lines += [
        "",
        f"An open page costs the exporter {med['page'] / med['scrape']:.2f}x a Prometheus scrape per refresh "
        f"({med['poll'] / med['scrape']:.2f}x if it asked for every series: the poll carries one point of each, "
        "as JSON, the scrape every series with its text).",
        "",
    ]
    Path(args.output).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
