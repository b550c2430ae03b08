"""Small HTTP helpers for scraping finmon's exporter in tests (urllib only)."""

from __future__ import annotations

import gzip
import time
import urllib.error
import urllib.request
from typing import Callable, TypeVar

from prometheus_client.parser import text_string_to_metric_families

T = TypeVar("T")


def get(port: int, path: str = "/metrics", headers: dict[str, str] | None = None,
        timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """GET a path of the exporter on 127.0.0.1; returns status, headers and the raw body."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, parsed by prometheus_client, keyed by name and sorted labels."""
    status, headers, body = get(port)
    assert status == 200, body
    if headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    result = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            result[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return result


def wait_for(predicate: Callable[[], T | None], timeout: float = 15.0, interval: float = 0.1,
             message: str = "condition") -> T:
    """Poll until predicate returns a truthy value; fail with a message at the deadline."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message} (last: {last!r})")
