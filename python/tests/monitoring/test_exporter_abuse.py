"""The audit's attack on loopback, against the default limits: 5,000 idle connections
(opened at 500 a second), 300 slowloris connections and a scrape flood (two clients
requesting /metrics back to back) from another process at once. The process
under test keeps its descriptor count under the connection cap plus a small constant, a
normal scrape is answered within a second throughout (each has a one-second deadline),
and descriptors and resident memory come back once the attack ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from scrape import wait_for

import finmon
from finmon.config import default

CLIENT = Path(__file__).resolve().parent.parent / "abuse_client.py"
#: Descriptors beyond the cap the process may hold during the attack: the listening
#: socket, a connection being accepted while another is evicted, this test's own scrape.
SLACK = 16


def descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def scrape_within_a_second(port: int) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1.0) as response:
        assert response.status == 200
        return response.read()


def test_idle_slowloris_and_flood_cannot_take_the_descriptors_or_the_scrape(
        collector: finmon.MetricsCollector) -> None:
    cap = int(default("monitoring.prometheus.max_connections"))
    port = collector.start_http_server(port=0)
    assert port
    for _ in range(20):  # warm up: the loop's buffers and the collector's threads exist
        scrape_within_a_second(port)
    base_fds = descriptors()
    base_rss = resident_bytes()

    highest = [base_fds]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            highest[0] = max(highest[0], descriptors() - 1)  # listdir's own descriptor
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    client = subprocess.Popen(
        [sys.executable, str(CLIENT), str(port), "--idle", "5000", "--slowloris", "300",
         "--rate", "500", "--flood-threads", "2", "--seconds", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    scrapes = 0
    try:
        while client.poll() is None:
            body = scrape_within_a_second(port)  # raises past its one-second deadline
            assert b"population_diversity" in body
            scrapes += 1
            time.sleep(0.05)
        out, err = client.communicate(timeout=60)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
        sampling.set()
        sampler.join()
    assert client.returncode == 0, err
    counts = json.loads(out.strip().splitlines()[-1])
    assert counts["idle_opened"] == 5000 and counts["slowloris_opened"] == 300, counts
    assert counts["flood_ok"] > 100, counts
    assert scrapes > 20
    assert highest[0] <= base_fds + cap + SLACK, (highest[0], base_fds, cap)

    def rejections(reason: str) -> float:
        return collector.get_sample_value("finmon_exporter_connections_rejected_total", {"reason": reason}) or 0.0

    # Thousands of connections past the cap made room or were refused.
    assert rejections("connection_limit") >= 5000 + 300 - cap
    # Everything the attack opened is closed again, and the memory it took is returned.
    assert wait_for(lambda: descriptors() <= base_fds + 1 or None, timeout=30)
    assert wait_for(lambda: resident_bytes() <= base_rss + 16 * 2**20 or None, timeout=30), \
        (resident_bytes() - base_rss)
    scrape_within_a_second(port)
