"""Value cells come from the library's slab (CellSlab.swift): the cells of series made
together lie next to each other, a removed series' slot is reused only once no child maps
it, a fork's child makes series whatever the parent's threads were doing, and a prepared
batch over adjacent cells never lets a scrape see a torn value."""

from __future__ import annotations

import ctypes
import faulthandler
import gc
import os
import subprocess
import sys
import threading
import time

import pytest

import finmon
from finmon import _cells

from .test_value_cells import FIRST, SECOND, scrape_while_writing

# A fresh interpreter: no slot freed by an earlier test is handed out again in between.
_ADJACENT = """
import finmon
collector = finmon.MetricsCollector()
children = [collector.container_memory_usage.labels(container_id=f"c{i}") for i in range(200)]
for child in children:
    child.set(1.0)
    child.set(2.0)
addresses = [child._cell_address for child in children]
print(sum(b - a == 16 for a, b in zip(addresses, addresses[1:])))
update = collector.prepare_batch(
    [("observe", collector.execution_time), ("inc", collector.strategy_success)]
    + [("set", getattr(collector, name)) for name in ("population_diversity", "population_size")]
    + [("set", child) for child in children[:20]])
targets = [target._cell_address for target in update._targets]
print(max(targets) - min(targets))
collector.close()
"""


def test_the_cells_of_series_made_together_are_adjacent() -> None:
    package = os.path.dirname(os.path.dirname(os.path.abspath(finmon.__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", _ADJACENT], capture_output=True, text=True, timeout=60, check=True,
                         env=env)
    adjacent, span = (int(line) for line in out.stdout.split())
    assert adjacent == 199  # each gauge's 16-byte cell right after the previous one
    # A loop's batch over the catalog and 20 labelled children: one or two pages, not the
    # megabytes of heap the cells spread over as malloc blocks of their own.
    assert span < 8192, span


def test_a_removed_series_slot_is_not_reused_while_a_child_maps_it(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("slab_reused", "Reused.", ["k"])
    old = gauge.labels("old")
    old.set(1.0)
    old.set(2.0)
    assert old._cell is not None
    address = old._cell_address
    view = old._cell
    gauge.remove("old")
    others = [gauge.labels(f"n{i}") for i in range(300)]
    for child in others:
        child.set(5.0)
        child.set(5.0)
    assert address not in {child._cell_address for child in others}
    view[0] = 9.0  # a late store through the removed series' mapping reaches no other series
    assert all(gauge.labels(f"n{i}").get() == 5.0 for i in range(300))
    # Once nothing maps it the slot serves a new series, which starts at 0 and live.
    del old, view
    gc.collect()
    fresh = [gauge.labels(f"f{i}") for i in range(300)]
    for child in fresh:
        child.set(3.0)
        child.set(3.0)
    reused = [child for child in fresh if child._cell_address == address]
    assert reused, "the freed slot was never handed out again"
    assert reused[0]._cell is not None and reused[0]._cell[1] == 0.0  # not marked removed
    assert reused[0].get() == 3.0
    assert sorted(collector.get_sample_value("slab_reused", {"k": f"f{i}"}) for i in range(300)) == [3.0] * 300
    assert collector.get_sample_value("slab_reused", {"k": "old"}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork semantics tested on Linux; not Linux")
def test_a_forked_child_makes_series_while_the_parent_was_making_them(collector: finmon.MetricsCollector) -> None:
    # A thread creates and removes series (ctypes releases the GIL during each call) while
    # the main thread forks: the slab's lock is taken around fork, so no child starts with
    # it held by a thread it does not have.
    gauge = collector.gauge("slab_forked", "Forked.", ["k"])
    stop = threading.Event()

    def churn() -> None:
        i = 0
        while not stop.is_set():
            gauge.labels(f"t{i % 64}").set(1.0)
            gauge.remove(f"t{(i + 32) % 64}")
            i += 1

    thread = threading.Thread(target=churn)
    thread.start()
    try:
        for _ in range(30):
            pid = os.fork()
            if pid == 0:  # never return into pytest
                faulthandler.dump_traceback_later(20, exit=True)
                code = 1
                try:
                    children = [gauge.labels(f"child{i}") for i in range(50)]
                    for child in children:
                        child.set(7.0)
                        child.set(7.0)
                    addresses = {child._cell_address for child in children}
                    ok = len(addresses) == 50 and collector.get_sample_value("slab_forked", {"k": "child49"}) == 7.0
                    code = 0 if ok else 2
                finally:
                    os._exit(code)
            deadline = time.monotonic() + 30
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    pytest.fail("a forked child hung making series")
                time.sleep(0.005)
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    finally:
        stop.set()
        thread.join(timeout=30)
    assert collector.get_sample_value("slab_forked", {"k": "child0"}) is None  # the parent never saw them


def test_scrapes_while_a_prepared_batch_applies_see_no_torn_value(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("slab_raced", "Raced.", ["k"])
    children = [gauge.labels(str(i)) for i in range(20)]
    update = collector.prepare_batch([("set", child) for child in children])
    assert update._stores
    first, second = [FIRST] * 20, [SECOND] * 20
    update.apply(first)
    port = collector.start_http_server(port=0)
    assert port
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            update.apply(second)
            update.apply(first)

    seen, scrapes = scrape_while_writing(port, b"slab_raced{", 20, writer, stop)
    assert seen <= {FIRST, SECOND}, seen - {FIRST, SECOND}
    assert seen == {FIRST, SECOND}, f"{scrapes} scrapes saw only {seen}"


def test_the_removals_count_has_its_double_next_to_it(collector: finmon.MetricsCollector) -> None:
    address = _cells.removals_address()
    count = ctypes.c_uint64.from_address(address)
    mirror = ctypes.c_double.from_address(address + 8)
    gauge = collector.gauge("slab_removed", "Removed.", ["k"])
    for i in range(5):
        gauge.labels(str(i)).set(1.0)
    before = count.value
    for i in range(5):
        gauge.remove(str(i))
    assert count.value == before + 5
    assert mirror.value == float(count.value)
