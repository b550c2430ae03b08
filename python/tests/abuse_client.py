"""A hostile client of the exporter, run as its own process (its descriptors must not count
against the process under test): idle connections, slowloris connections and a scrape
flood at once, for the exporter limits' abuse test. Prints one JSON line of counts.

    python abuse_client.py PORT --idle 5000 --rate 2000 --slowloris 300 --flood-threads 8 --seconds 8
"""

from __future__ import annotations

import argparse
import errno
import http.client
import json
import resource
import socket
import threading
import time


def raise_descriptor_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        # As root the hard limit can be raised too (CI runs as root).
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(needed, soft), max(needed, hard)))


def open_nonblocking(port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    code = sock.connect_ex(("127.0.0.1", port))
    if code not in (0, errno.EINPROGRESS):
        sock.close()
        return None
    return sock


def flood(port: int, stop: threading.Event, counts: dict[str, int], lock: threading.Lock) -> None:
    conn: http.client.HTTPConnection | None = None
    while not stop.is_set():
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/metrics")
            response = conn.getresponse()
            response.read()
            with lock:
                counts["flood_ok" if response.status == 200 else "flood_failed"] += 1
        except (OSError, http.client.HTTPException):
            # A connection the exporter closed to make room: reconnect, as a scraper would.
            with lock:
                counts["flood_reconnects"] += 1
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--slowloris", type=int, default=300)
    parser.add_argument("--flood-threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=float, default=2000.0, help="idle connections opened per second")
    args = parser.parse_args()
    raise_descriptor_limit(args.idle + args.slowloris + 1024)

    counts = {"idle_opened": 0, "slowloris_opened": 0, "slowloris_bytes": 0, "flood_ok": 0, "flood_failed": 0,
              "flood_reconnects": 0}
    lock = threading.Lock()
    stop = threading.Event()
    flooders = [threading.Thread(target=flood, args=(args.port, stop, counts, lock), daemon=True)
                for _ in range(args.flood_threads)]
    for thread in flooders:
        thread.start()

    held: list[socket.socket] = []
    slow: list[socket.socket] = []
    # Opened at --rate a second. The exporter accepts and closes them in arrival order, so a
    # scrape arriving behind a queue of thousands waits for the whole queue: the rate is
    # what the test's one-second deadline is measured against.
    batch = max(1, int(args.rate / 10))
    for start in range(0, args.idle, batch):
        for _ in range(min(batch, args.idle - start)):
            sock = open_nonblocking(args.port)
            if sock is not None:
                held.append(sock)
                counts["idle_opened"] += 1
        time.sleep(0.1)
    for _ in range(args.slowloris):
        sock = open_nonblocking(args.port)
        if sock is not None:
            slow.append(sock)
            counts["slowloris_opened"] += 1
    deadline = time.monotonic() + args.seconds
    header = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
    sent = {id(sock): 0 for sock in slow}
    while time.monotonic() < deadline:
        # One more byte of an endless header on every slowloris connection, twice a second.
        for sock in slow:
            position = sent[id(sock)]
            chunk = header[position:position + 1] if position < len(header) else b"X"
            try:
                sock.send(chunk)
                sent[id(sock)] = position + 1
                counts["slowloris_bytes"] += 1
            except OSError:
                pass
        time.sleep(0.5)
    stop.set()
    for thread in flooders:
        thread.join(timeout=10)
    for sock in held + slow:
        sock.close()
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
