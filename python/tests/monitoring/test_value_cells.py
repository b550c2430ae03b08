"""A gauge child set repeatedly stores into its series' value cell (finmon_series_cell)
instead of calling the library: scrapes running meanwhile never see a torn value, a fork's
child writes its own copy only, a removed series is re-created as by a call, and the cell's
pin goes with the child."""

from __future__ import annotations

import ctypes
import faulthandler
import gc
import http.client
import os
import struct
import sys
import threading
import time
from collections.abc import Callable

import pytest

import finmon
from finmon import _native
from finmon._bindings import Status

# Two values whose 8-byte patterns share no half: a scrape of a torn store (one half of
# each) would show a third value.
FIRST = struct.unpack("<d", bytes.fromhex("0100000000001040"))[0]  # 4.000000000000001
SECOND = struct.unpack("<d", bytes.fromhex("ffffffff0f00f0bf"))[0]  # about -1.0002


def mapped(child: finmon.Child) -> bool:
    return child._cell is not None


def test_a_gauge_child_maps_its_cell_on_its_second_set(collector: finmon.MetricsCollector) -> None:
    child = collector.container_memory_usage.labels(container_id="abc")
    child.set(1.0)
    assert not mapped(child)  # one set: a series created and set once costs no mapping
    child.set(2.0)
    assert mapped(child)
    child.set(3.5)
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "abc"}) == 3.5
    assert child.get() == 3.5
    assert b'container_memory_usage_bytes{container_id="abc"} 3.5' in collector.generate_latest()
    child.inc(1)  # a call on the same value: the library's increment sees the stored value
    assert child.get() == 4.5
    child.set(float("nan"))
    assert b'container_memory_usage_bytes{container_id="abc"} NaN' in collector.generate_latest()
    # An unlabeled gauge's family-level set goes through its child and maps it too.
    collector.population_diversity.set(0.1)
    collector.population_diversity.set(0.2)
    assert mapped(collector.population_diversity.labels())
    assert collector.get_sample_value("population_diversity") == 0.2


def test_counters_histograms_and_dropped_children_never_map(collector: finmon.MetricsCollector) -> None:
    counter = collector.counter("cells_jobs", "Jobs.", ["queue"]).labels("a")
    for _ in range(3):
        counter.inc()
    assert not mapped(counter)
    out = ctypes.c_void_p()
    assert _native.hot.finmon_series_cell(counter._handle, ctypes.byref(out)) == Status.WRONG_TYPE
    with pytest.raises(finmon.MetricTypeError):
        counter.set(1.0)  # still refused: a counter has no set


def test_a_mapped_child_refuses_what_a_call_refuses(collector: finmon.MetricsCollector) -> None:
    child = collector.gauge("cells_bad", "Bad values.", ["k"]).labels("x")
    child.set(1.0)
    child.set(2.0)
    assert mapped(child)
    with pytest.raises(finmon.MetricTypeError):
        child.set("3")  # type: ignore[arg-type]
    with pytest.raises(finmon.InvalidArgumentError):
        child.set(10**400)
    child.set(True)  # what ctypes' c_double takes, the cell takes: bool and int
    assert child.get() == 1.0
    child.set(7)
    assert child.get() == 7.0


def test_a_removed_series_behind_a_mapped_cell_is_recreated(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("cells_removed", "Removed.", ["k"])
    child = gauge.labels("a")
    child.set(1.0)
    child.set(2.0)
    assert mapped(child)
    gauge.remove("a")
    assert collector.get_sample_value("cells_removed", {"k": "a"}) is None
    child.set(5.0)  # the store reaches the removed series; its flag sends it to the call
    assert collector.get_sample_value("cells_removed", {"k": "a"}) == 5.0
    assert not mapped(child)  # calls from now on
    gauge.clear()
    child.set(6.0)
    assert collector.get_sample_value("cells_removed", {"k": "a"}) == 6.0
    # The library's own container cleanup, behind a mapped cell.
    containers = finmon.ContainerMonitor(collector)
    containers.record_container_created("c1")
    memory = collector.container_memory_usage.labels(container_id="c1")
    memory.set(1.0)
    memory.set(2.0)
    assert mapped(memory)
    containers.record_container_cleanup("c1", True)
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "c1"}) is None
    memory.set(3.0)
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "c1"}) == 3.0


def test_a_mapped_child_of_a_closed_collector_still_raises() -> None:
    collector = finmon.MetricsCollector()
    child = collector.gauge("cells_closed", "Closed.", ["k"]).labels("x")
    child.set(1.0)
    child.set(2.0)
    assert mapped(child)
    collector.close()
    with pytest.raises(finmon.InvalidHandleError):
        child.set(3.0)


def test_the_pin_goes_with_the_child(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("cells_pinned", "Pinned.", ["k"])
    child = gauge.labels("x")
    child.set(1.0)
    child.set(2.0)
    address = child._cell_address
    assert address
    gauge.remove("x")  # the family forgets the series; the child still holds its cell
    child.set(4.0)
    del child
    gc.collect()
    # Released with the child: a second release of the address is refused.
    assert _native.hot.finmon_series_cell_release(address) == Status.INVALID_ARGUMENT
    assert _native.hot.finmon_series_cell_release(None) == Status.NULL_POINTER


def _scrape_values(port: int, name: bytes) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics")
        body = connection.getresponse().read()
    finally:
        connection.close()
    return [float(line.split(b" ")[1]) for line in body.splitlines() if line.startswith(name)]


def scrape_while_writing(port: int, name: bytes, count: int, writer: Callable[[], None],
                         stop: threading.Event) -> tuple[set[float], int]:
    """Scrapes ``name``'s ``count`` series while ``writer`` runs on a thread of its own (until
    ``stop``): until both values were seen, at least 200 scrapes, within a deadline.
    Returns the values seen and the number of scrapes."""
    thread = threading.Thread(target=writer)
    thread.start()
    seen: set[float] = set()
    scrapes = 0
    deadline = time.monotonic() + 60
    try:
        while (scrapes < 200 or len(seen) < 2) and time.monotonic() < deadline:
            values = _scrape_values(port, name)
            assert len(values) == count
            seen.update(values)
            scrapes += 1
    finally:
        stop.set()
        thread.join(timeout=30)
    return seen, scrapes


def test_scrapes_while_updating_see_no_torn_value(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("cells_raced", "Raced.", ["k"])
    children = [gauge.labels(str(i)) for i in range(4)]
    for child in children:
        child.set(FIRST)
        child.set(FIRST)
        assert mapped(child)
    port = collector.start_http_server(port=0)
    assert port
    stop = threading.Event()
    stores = [0]

    def writer() -> None:
        # Keeps storing while the exporter's threads render: the GIL is released while
        # the scraping thread waits on its socket.
        while not stop.is_set():
            for child in children:
                child.set(SECOND)
                child.set(FIRST)
            stores[0] += 8

    seen, scrapes = scrape_while_writing(port, b"cells_raced{", 4, writer, stop)
    assert seen <= {FIRST, SECOND}, seen - {FIRST, SECOND}
    assert seen == {FIRST, SECOND}, f"{scrapes} scrapes over {stores[0]} stores saw only {seen}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork semantics tested on Linux; not Linux")
def test_a_forked_child_stores_into_its_own_copy(collector: finmon.MetricsCollector) -> None:
    child = collector.gauge("cells_forked", "Forked.", ["k"]).labels("x")
    child.set(1.0)
    child.set(2.0)
    assert mapped(child)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked process: report through the pipe, never return into pytest
        faulthandler.dump_traceback_later(20, exit=True)
        code = 1
        try:
            child.set(3.0)
            ok = collector.get_sample_value("cells_forked", {"k": "x"}) == 3.0 and mapped(child)
            os.write(write_end, b"ok" if ok else b"not seen")
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    message = os.read(read_end, 64)
    os.close(read_end)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert message == b"ok"
    assert collector.get_sample_value("cells_forked", {"k": "x"}) == 2.0  # the parent's value
    child.set(4.0)
    assert collector.get_sample_value("cells_forked", {"k": "x"}) == 4.0
