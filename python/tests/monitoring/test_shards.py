"""A counter or histogram child updated repeatedly adds to its series' shard (words only
Python writes, finmon_series_shard) instead of calling the library, and a PreparedBatch of
mapped cells applies its values as stores: scrapes running meanwhile see counters and
buckets that never go down and a _count equal to the +Inf bucket, a fork's child writes
its own copy only, a removed series is re-created as by a call, and the pin goes with the
child."""

from __future__ import annotations

import ctypes
import faulthandler
import gc
import os
import sys
import threading
import time

import pytest
from scrape import get

import finmon
from finmon import _native
from finmon._bindings import Status


def shard_of(child: finmon.Child) -> bool:
    return child._shard is not None or child._histogram is not None


def test_counters_and_histograms_map_their_shard_on_the_second_update(collector: finmon.MetricsCollector) -> None:
    counter = collector.counter("shards_jobs", "Jobs.", ["queue"])
    child = counter.labels("a")
    child.inc()
    assert not shard_of(child)  # one update: a series used once costs no mapping
    child.inc(2)
    assert shard_of(child)
    child.inc(0.5)
    assert collector.get_sample_value("shards_jobs_total", {"queue": "a"}) == 3.5
    assert child.get() == 3.5
    assert b'shards_jobs_total{queue="a"} 3.5' in collector.generate_latest()
    histogram = collector.histogram("shards_latency", "Latency.", ["k"], buckets=[1, 2, 5])
    timing = histogram.labels("x")
    for value in (0.5, 1.0, 1.5, 3, 7, float("inf")):
        timing.observe(value)
    assert shard_of(timing)
    assert timing._bounds == [1.0, 2.0, 5.0, float("inf")]
    text = collector.generate_latest()
    for le, count in (("1.0", 2), ("2.0", 3), ("5.0", 4), ("+Inf", 6)):
        assert f'shards_latency_bucket{{k="x",le="{le}"}} {count}\n'.encode() in text
    assert b'shards_latency_count{k="x"} 6\n' in text
    assert b'shards_latency_sum{k="x"} +Inf\n' in text
    # The library's own updates (a batch) and the shard add up.
    with collector.batch() as batch:
        batch.inc(child, 1)
        batch.observe(timing, 0.1)
    assert child.get() == 4.5
    assert collector.get_sample_value("shards_latency_count", {"k": "x"}) == 7
    assert collector.get_sample_value("shards_latency_bucket", {"k": "x", "le": "1.0"}) == 3
    # Unlabeled families' own verbs go through their child and map it too.
    for _ in range(3):
        collector.strategy_success.inc()
        collector.execution_time.observe(0.2)
    assert shard_of(collector.strategy_success.labels()) and shard_of(collector.execution_time.labels())
    assert collector.get_sample_value("strategy_success_total") == 3
    assert collector.get_sample_value("execution_time_seconds_count") == 3
    assert collector.get_sample_value("execution_time_seconds_sum") == pytest.approx(0.6)
    # An unlabeled counter's clear resets it, shard included.
    collector.strategy_success.clear()
    assert collector.get_sample_value("strategy_success_total") == 0
    collector.strategy_success.inc()
    assert collector.get_sample_value("strategy_success_total") == 1


def test_a_mapped_shard_refuses_what_a_call_refuses(collector: finmon.MetricsCollector) -> None:
    child = collector.counter("shards_bad", "Bad.", ["k"]).labels("x")
    child.inc()
    child.inc()
    timing = collector.histogram("shards_bad_time", "Bad.", ["k"]).labels("x")
    timing.observe(1)
    timing.observe(1)
    assert shard_of(child) and shard_of(timing)
    for amount in (-1, float("nan"), float("inf")):
        with pytest.raises(finmon.InvalidArgumentError):
            child.inc(amount)
    with pytest.raises(finmon.MetricTypeError):
        child.inc("1")  # type: ignore[arg-type]
    with pytest.raises(finmon.InvalidArgumentError):
        child.inc(10**400)
    for family_level in (collector.strategy_success, collector.execution_time):
        for _ in range(2):
            family_level.inc() if family_level is collector.strategy_success else family_level.observe(1)  # type: ignore[attr-defined]
    with pytest.raises(finmon.InvalidArgumentError):
        collector.strategy_success.inc(-1)
    with pytest.raises(finmon.InvalidArgumentError):
        collector.execution_time.observe(float("nan"))
    with pytest.raises(finmon.MetricTypeError):
        collector.execution_time.observe("x")  # type: ignore[arg-type]
    assert child.get() == 2.0  # nothing refused was counted
    with pytest.raises(finmon.InvalidArgumentError):
        timing.observe(float("nan"))
    with pytest.raises(finmon.MetricTypeError):
        timing.observe("1")  # type: ignore[arg-type]
    with pytest.raises(finmon.InvalidArgumentError):
        timing.observe(10**400)
    assert collector.get_sample_value("shards_bad_time_count", {"k": "x"}) == 2
    assert collector.get_sample_value("shards_bad_time_sum", {"k": "x"}) == 2.0
    child.inc(True)  # what ctypes' c_double takes, the shard takes: bool and int
    assert child.get() == 3.0
    with pytest.raises(finmon.MetricTypeError):
        child.observe(1.0)  # still refused: a counter has no observe
    with pytest.raises(finmon.MetricTypeError):
        timing.inc(1.0)  # nor a histogram an inc
    assert child.get() == 3.0 and collector.get_sample_value("shards_bad_time_sum", {"k": "x"}) == 2.0
    # The C ABI: a gauge has a cell, not a shard; a counter has no gauge cell.
    out = ctypes.c_void_p()
    gauge = collector.gauge("shards_gauge", "Gauge.", ["k"]).labels("x")
    assert _native.hot.finmon_series_shard(gauge._handle, ctypes.byref(out), None) == Status.WRONG_TYPE
    assert _native.hot.finmon_series_shard(child._handle, None, None) == Status.NULL_POINTER
    assert _native.hot.finmon_series_removals(None) == Status.NULL_POINTER


def test_a_removed_series_behind_a_shard_is_recreated(collector: finmon.MetricsCollector) -> None:
    counter = collector.counter("shards_removed", "Removed.", ["k"])
    child = counter.labels("a")
    child.inc(5)
    child.inc(5)
    assert shard_of(child)
    counter.remove("a")
    assert collector.get_sample_value("shards_removed_total", {"k": "a"}) is None
    child.inc(2)  # the add reaches the removed series; its flag sends it to the call
    assert collector.get_sample_value("shards_removed_total", {"k": "a"}) == 2.0  # a new series
    assert not shard_of(child)
    child.inc(1)
    assert collector.get_sample_value("shards_removed_total", {"k": "a"}) == 3.0
    reused = counter.labels("a")  # the same labels again: the re-created series
    reused.inc(1)
    assert collector.get_sample_value("shards_removed_total", {"k": "a"}) == 4.0
    histogram = collector.histogram("shards_removed_time", "Removed.", ["k"], buckets=[1])
    timing = histogram.labels("a")
    timing.observe(0.5)
    timing.observe(0.5)
    assert shard_of(timing)
    histogram.clear()
    timing.observe(3)
    assert collector.get_sample_value("shards_removed_time_count", {"k": "a"}) == 1
    assert collector.get_sample_value("shards_removed_time_bucket", {"k": "a", "le": "1.0"}) == 0
    assert collector.get_sample_value("shards_removed_time_sum", {"k": "a"}) == 3


def test_the_pin_goes_with_the_child(collector: finmon.MetricsCollector) -> None:
    counter = collector.counter("shards_pinned", "Pinned.", ["k"])
    child = counter.labels("x")
    child.inc()
    child.inc()
    address = child._cell_address
    assert address
    counter.remove("x")
    child.inc()
    del child
    gc.collect()
    assert _native.hot.finmon_series_cell_release(address) == Status.INVALID_ARGUMENT


def _parse(body: bytes, counter: bytes, histogram: bytes) -> tuple[float, list[float], float, float]:
    total = -1.0
    buckets: list[float] = []
    count = total_sum = -1.0
    for line in body.splitlines():
        if line.startswith(counter + b" "):
            total = float(line.split(b" ")[1])
        elif line.startswith(histogram + b"_bucket{"):
            buckets.append(float(line.split(b" ")[1]))
        elif line.startswith(histogram + b"_count "):
            count = float(line.split(b" ")[1])
        elif line.startswith(histogram + b"_sum "):
            total_sum = float(line.split(b" ")[1])
    return total, buckets, count, total_sum


def test_scrapes_while_threads_update_see_consistent_values(collector: finmon.MetricsCollector) -> None:
    counter = collector.counter("shards_raced", "Raced.")
    histogram = collector.histogram("shards_raced_time", "Raced.", buckets=[1, 2, 4])
    port = collector.start_http_server(port=0)
    assert port
    threads_count, per_thread = 4, 20_000
    values = (0.5, 1.5, 3.0, 9.0)

    def worker() -> None:
        for i in range(per_thread):
            counter.inc()
            histogram.observe(values[i % 4])

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    previous_total, previous_buckets = 0.0, [0.0] * 4
    scrapes = 0
    deadline = time.monotonic() + 120
    try:
        while (any(t.is_alive() for t in threads) or scrapes < 20) and time.monotonic() < deadline:
            total, buckets, count, _ = _parse(get(port)[2], b"shards_raced_total", b"shards_raced_time")
            scrapes += 1
            assert total >= previous_total, (previous_total, total)  # a counter never goes down
            assert len(buckets) == 4
            assert buckets == sorted(buckets), buckets  # cumulative: never decreasing with le
            assert count == buckets[-1], (count, buckets)  # _count is the +Inf bucket
            assert all(now >= before for now, before in zip(buckets, previous_buckets)), (previous_buckets, buckets)
            previous_total, previous_buckets = total, buckets
    finally:
        for thread in threads:
            thread.join(timeout=60)
    assert shard_of(counter.labels()) and shard_of(histogram.labels())
    n = threads_count * per_thread
    total, buckets, count, total_sum = _parse(get(port)[2], b"shards_raced_total", b"shards_raced_time")
    assert total == n  # exact: no increment lost to a racing thread
    assert buckets == [n / 4, n / 2, 3 * n / 4, n]
    assert count == n
    assert total_sum == sum(values) * n / 4


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork semantics tested on Linux; not Linux")
def test_a_forked_child_adds_to_its_own_copy(collector: finmon.MetricsCollector) -> None:
    child = collector.counter("shards_forked", "Forked.", ["k"]).labels("x")
    timing = collector.histogram("shards_forked_time", "Forked.", ["k"], buckets=[1]).labels("x")
    for _ in range(2):
        child.inc()
        timing.observe(0.5)
    assert shard_of(child) and shard_of(timing)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked process: report through the pipe, never return into pytest
        faulthandler.dump_traceback_later(20, exit=True)
        code = 1
        try:
            for _ in range(10):
                child.inc()
                timing.observe(5)
            ok = (collector.get_sample_value("shards_forked_total", {"k": "x"}) == 12
                  and collector.get_sample_value("shards_forked_time_count", {"k": "x"}) == 12
                  and shard_of(child))
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
    assert collector.get_sample_value("shards_forked_total", {"k": "x"}) == 2  # the parent's own
    assert collector.get_sample_value("shards_forked_time_bucket", {"k": "x", "le": "+Inf"}) == 2
    child.inc()
    timing.observe(0.5)
    assert collector.get_sample_value("shards_forked_total", {"k": "x"}) == 3
    assert collector.get_sample_value("shards_forked_time_bucket", {"k": "x", "le": "1.0"}) == 3


def test_a_prepared_batch_of_cells_applies_stores(collector: finmon.MetricsCollector) -> None:
    gauges = [collector.container_memory_usage.labels(container_id=f"c{i}") for i in range(3)]
    update = collector.prepare_batch(
        [("observe", collector.execution_time), ("inc", collector.strategy_success)]
        + [("set", child) for child in gauges])
    assert update._stores  # every entry mapped at preparation
    update.apply([0.5, 1, 1.0, 2.0, 3.0])
    update.apply([3.0, 2, 4.0, 5.0, 6.0])
    assert collector.get_sample_value("strategy_success_total") == 3
    assert collector.get_sample_value("execution_time_seconds_count") == 2
    assert collector.get_sample_value("execution_time_seconds_sum") == 3.5
    assert collector.get_sample_value("execution_time_seconds_bucket", {"le": "2.5"}) == 1
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "c2"}) == 6.0
    # A bad value anywhere applies none, the gauges before it included.
    for bad in ([0.5, 1, 7.0, "x", 7.0], [0.5, -1, 7.0, 7.0, 7.0], [float("nan"), 1, 7.0, 7.0, 7.0],
                [0.5, 1, 7.0, 10**400, 7.0]):
        with pytest.raises((finmon.MetricTypeError, finmon.InvalidArgumentError)):
            update.apply(bad)  # type: ignore[arg-type]
    with pytest.raises(finmon.InvalidArgumentError, match="expected 5 values, got 2"):
        update.apply([1, 2])
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "c0"}) == 4.0
    assert collector.get_sample_value("strategy_success_total") == 3
    assert collector.get_sample_value("execution_time_seconds_count") == 2
    # A removal elsewhere changes nothing; one of the batch's series is re-created.
    other = collector.gauge("shards_other", "Other.", ["k"])
    other.labels("z").set(1)
    other.remove("z")
    update.apply([0.5, 1, 1.0, 1.0, 1.0])
    assert update._stores
    collector.container_memory_usage.remove("c1")
    update.apply([0.5, 1, 8.0, 9.0, 10.0])
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "c1"}) == 9.0
    assert not update._stores  # calls from then on
    update.apply([0.5, 1, 8.0, 11.0, 10.0])
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "c1"}) == 11.0
    assert collector.get_sample_value("strategy_success_total") == 6
    assert collector.get_sample_value("execution_time_seconds_count") == 5
    # An entry no cell can take (a gauge's inc) keeps the whole batch on the call.
    mixed = collector.prepare_batch([("inc", gauges[0]), ("set", gauges[2])])
    assert not mixed._stores
    mixed.apply([1.0, 2.0])
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "c0"}) == 9.0
