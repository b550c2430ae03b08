"""bench_spine (b): /metrics latency and server CPU per scrape, each server in its own
subprocess (``bench_spine.py --serve``)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from typing import Any

from spine_common import HERE, Stat, container_id


# ---- (b) /metrics latency and server CPU -----------------------------------------------------


def serve(kind: str, series: int) -> None:
    """Child process: an exporter with ``series`` labeled series; prints its port, waits for EOF."""
    gauge: Any
    if kind == "finmon":
        import finmon

        collector = finmon.MetricsCollector()
        port = collector.start_http_server(port=0)
        gauge = collector.gauge("bench_series_bytes", "Benchmark series.", ["container_id"])
    else:
        import prometheus_client as p

        server, _thread = p.start_http_server(0, addr="127.0.0.1")
        port = server.server_port
        gauge = p.Gauge("bench_series_bytes", "Benchmark series.", ["container_id"])
    for i in range(series):
        gauge.labels(container_id=container_id(i)).set(i)
    print(json.dumps({"port": port, "pid": os.getpid()}), flush=True)
    sys.stdin.read()


class Server:
    """A ``serve`` child and a keep-alive client for it."""

    def __init__(self, kind: str, series: int) -> None:
        import psutil

        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "bench_spine.py"), "--serve", kind, "--series", str(series)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {kind} server did not start")
        info = json.loads(line)
        self.port = int(info["port"])
        self.ps = psutil.Process(self.process.pid)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def scrape(self, gzip: bool) -> tuple[float, bytes]:
        headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
        start = time.perf_counter()
        self.connection.request("GET", "/metrics", headers=headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise RuntimeError(f"{self.kind} answered {response.status}")
        if response.will_close:
            # prometheus_client's WSGI server closes after each response; reconnect next time.
            self.connection.close()
        return elapsed, body

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def close(self) -> None:
        self.connection.close()
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bench_scrapes(sizes: list[int], budget: float, rounds: int) -> list[dict]:
    """Per size and encoding, ``rounds`` rounds; in each, every server is scraped back to back
    for ``budget`` seconds of wall time. psutil's CPU times tick at 1/CLK_TCK s (10 ms here),
    so a round is long enough to hold many ticks even where a scrape takes far less."""
    import gzip as gz

    results = []
    for series in sizes:
        servers = {kind: Server(kind, series) for kind in ("finmon", "prometheus_client")}
        try:
            for server in servers.values():
                for compressed in (False, True):
                    _, body = server.scrape(compressed)
                    text = gz.decompress(body) if compressed else body
                    found = text.count(b"\nbench_series_bytes{")
                    assert found == series, f"{server.kind} served {found} series, expected {series}"
            for compressed in (False, True):
                latency: dict[str, list[float]] = {kind: [] for kind in servers}
                cpu: dict[str, list[float]] = {kind: [] for kind in servers}
                totals = {kind: [0.0, 0] for kind in servers}
                size: dict[str, int] = {}
                for _ in range(rounds):
                    for kind, server in servers.items():
                        count = 0
                        before = server.cpu_seconds()
                        deadline = time.perf_counter() + budget
                        while count < 3 or time.perf_counter() < deadline:
                            elapsed, body = server.scrape(compressed)
                            latency[kind].append(elapsed)
                            count += 1
                        spent = server.cpu_seconds() - before
                        cpu[kind].append(spent / count)
                        totals[kind][0] += spent
                        totals[kind][1] += count
                        size[kind] = len(body)
                results.append({
                    "series": series, "gzip": compressed,
                    "scrapes": {k: int(v[1]) for k, v in totals.items()},
                    "latency": {k: Stat(v) for k, v in latency.items()},
                    "cpu": {k: Stat(v) for k, v in cpu.items()},
                    "cpu_overall": {k: v[0] / v[1] for k, v in totals.items()},
                    "bytes": size,
                })
        finally:
            for server in servers.values():
                server.close()
    return results
