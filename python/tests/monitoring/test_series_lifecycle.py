"""Series creation and removal through the packed label path (``finmon_metric_labels_packed``,
``finmon_metric_remove_packed``) and removal by a child's handle (``finmon_metric_remove_series``):
the same series, errors and exposition as the array calls, whoever removed the series before."""

from __future__ import annotations

import ctypes

import pytest

import finmon
from finmon import _native
from finmon._bindings import Status

_hot = _native.hot


def packed_labels(metric: finmon.metrics.Metric, data: bytes) -> tuple[int, int]:
    out = ctypes.c_void_p()
    rc = _hot.finmon_metric_labels_packed(metric._handle, data, len(data), ctypes.byref(out))
    return rc, out.value or 0


def packed_remove(metric: finmon.metrics.Metric, data: bytes) -> tuple[int, int]:
    removed = ctypes.c_int(-1)
    rc = _hot.finmon_metric_remove_packed(metric._handle, data, len(data), ctypes.byref(removed))
    return rc, removed.value


def test_packed_and_array_calls_name_the_same_series(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("pairs", "Pairs.", ["a", "b"])
    child = gauge.labels("x", "é")
    rc, handle = packed_labels(gauge, "x\0é".encode())
    assert (rc, handle) == (Status.OK, child._handle)
    out = ctypes.c_void_p()
    values = (ctypes.c_char_p * 2)(b"x", "é".encode())
    assert _hot.finmon_metric_labels(gauge._handle, None, values, 2, ctypes.byref(out)) == Status.OK
    assert out.value == child._handle
    # Empty values are values: "\0" is two empty ones, b"" one empty one of a one-label metric.
    rc, empty_pair = packed_labels(gauge, b"\0")
    assert rc == Status.OK and empty_pair not in (0, child._handle)
    single = collector.gauge("single", "Single.", ["k"])
    rc, empty = packed_labels(single, b"")
    assert rc == Status.OK and empty == single.labels("")._handle
    assert gauge.series_count() == 2 and single.series_count() == 1


def test_escaping_and_unicode_reach_the_exposition_through_the_packed_path(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("escaped", "Escaped.", ["path", "name"])
    tricky = ('a"b\\c\nd', "ünï ✓")
    gauge.labels(*tricky).set(3)
    gauge.labels("", "").set(4)
    text = collector.generate_latest().decode()
    assert 'escaped{path="a\\"b\\\\c\\nd",name="ünï ✓"} 3.0' in text
    assert 'escaped{path="",name=""} 4.0' in text
    assert collector.get_sample_value("escaped", dict(zip(("path", "name"), tricky))) == 3.0
    gauge.remove(*tricky)
    assert collector.get_sample_value("escaped", dict(zip(("path", "name"), tricky))) is None
    assert gauge.series_count() == 1


@pytest.mark.parametrize("value", ["bad\ud800", "nul\0inside"])
def test_values_that_are_no_c_text_are_refused_on_both_verbs(collector: finmon.MetricsCollector, value: str) -> None:
    gauge = collector.gauge("refused", "Refused.", ["k", "j"])
    with pytest.raises(finmon.InvalidArgumentError, match="label value of 'refused'"):
        gauge.labels("ok", value)
    with pytest.raises(finmon.InvalidArgumentError, match="label value"):
        gauge.remove(value, "ok")
    assert gauge.series_count() == 0


def test_the_library_checks_packed_values_itself(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("checked", "Checked.", ["k", "j"])
    assert packed_labels(gauge, b"x\0\xff\xfe")[0] == Status.INVALID_UTF8
    assert "label value 1 is not valid UTF-8" in _native.last_error()
    assert packed_labels(gauge, b"x")[0] == Status.LABELS
    assert packed_labels(gauge, b"x\0y\0z")[0] == Status.LABELS
    assert packed_remove(gauge, b"x\0y\0z")[0] == Status.LABELS
    assert packed_labels(gauge, b"x\0" + b"y" * (64 * 1024 + 1))[0] == Status.INVALID_ARGUMENT
    assert "is 65537 bytes long" in _native.last_error()
    out = ctypes.c_void_p()
    assert _hot.finmon_metric_labels_packed(gauge._handle, None, 3, ctypes.byref(out)) == Status.NULL_POINTER
    assert _hot.finmon_metric_labels_packed(gauge._handle, b"a\0b", 3, None) == Status.NULL_POINTER
    assert gauge.series_count() == 0
    unlabeled = collector.gauge("plain", "Plain.")
    assert packed_remove(unlabeled, b"")[0] == Status.INVALID_ARGUMENT
    assert packed_remove(unlabeled, b"x")[0] == Status.INVALID_ARGUMENT


def test_wrong_counts_from_python_keep_their_errors(collector: finmon.MetricsCollector) -> None:
    single = collector.gauge("one", "One.", ["k"])
    # No values are not one empty value: the packed b"" must not stand for them.
    with pytest.raises(finmon.LabelError, match=r'takes labels \["k"\], got \[\]'):
        single.labels()
    with pytest.raises(finmon.LabelError, match="0 values"):
        single.remove()
    with pytest.raises(finmon.LabelError, match="2 values"):
        single.labels("a", "b")
    with pytest.raises(finmon.LabelError, match="2 values"):
        single.remove("a", "b")
    with pytest.raises(finmon.InvalidArgumentError, match="no series to remove"):
        collector.gauge("bare", "Bare.").remove()
    assert single.series_count() == 0


def test_remove_by_a_child_whose_series_the_library_removed_and_recreated(collector: finmon.MetricsCollector) -> None:
    containers = finmon.ContainerMonitor(collector)
    containers.record_container_created("abc")
    gauge = collector.container_memory_usage
    child = gauge.labels(container_id="abc")
    child.set(1)
    before = gauge.series_count()
    # The library's own cleanup removes the series and keeps its handle until its next use;
    # then the same values are created again behind Python's back.
    containers.record_container_cleanup("abc", True)
    rc, fresh = packed_labels(gauge, b"abc")
    assert rc == Status.OK and fresh != child._handle
    gauge.remove("abc")  # by the child's handle, still live: removes what its values name now
    assert gauge.series_count() == before - 1
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "abc"}) is None
    assert _hot.finmon_series_set(fresh, 1.0) == Status.INVALID_HANDLE


def test_remove_by_a_child_whose_handle_was_freed_goes_by_values(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("handles", "Handles.", ["k"])
    child = gauge.labels("y")
    stale = child._handle
    assert packed_remove(gauge, b"y") == (Status.OK, 1)  # frees the handle with the series
    assert _hot.finmon_series_set(stale, 1.0) == Status.INVALID_HANDLE
    assert packed_labels(gauge, b"y")[0] == Status.OK
    gauge.remove("y")
    assert gauge.series_count() == 0
    gauge.remove("y")  # absent: nothing to do, no error
    # And the child, used again, re-creates its series as before.
    child.set(5)
    assert collector.get_sample_value("handles", {"k": "y"}) == 5.0


def test_remove_series_refuses_a_series_of_another_metric(collector: finmon.MetricsCollector) -> None:
    first = collector.gauge("first", "First.", ["k"])
    second = collector.gauge("second", "Second.", ["k"])
    child = first.labels("x")
    removed = ctypes.c_int(-1)
    assert _hot.finmon_metric_remove_series(second._handle, child._handle, ctypes.byref(removed)) \
        == Status.INVALID_ARGUMENT
    assert _hot.finmon_metric_remove_series(second._handle, None, None) == Status.NULL_POINTER
    assert _hot.finmon_metric_remove_series(first._handle, child._handle, ctypes.byref(removed)) == Status.OK
    assert removed.value == 1
    # The removal freed the handle with the series: the caller goes by values from then on.
    assert _hot.finmon_metric_remove_series(first._handle, child._handle, None) == Status.INVALID_HANDLE
    assert first.series_count() == 0


def test_a_removed_child_is_recreated_with_its_values(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("again", "Again.", ["k", "j"])
    child = gauge.labels("a", "b")
    child.set(2)
    gauge.remove("a", "b")
    assert collector.get_sample_value("again", {"k": "a", "j": "b"}) is None
    child.set(3)
    assert collector.get_sample_value("again", {"k": "a", "j": "b"}) == 3.0
    assert gauge.labels("a", "b") is not child  # the cache lost it with the remove
    assert gauge.labels("a", "b")._handle == child._handle


def test_a_closed_collector_or_metric_still_refuses_creation_and_removal() -> None:
    # The untyped calls keep the metric's handle in a c_void_p made once: closing must
    # still reach the library's refusal, not the family through a kept handle.
    collector = finmon.MetricsCollector()
    gauge = collector.gauge("closing", "Closing.", ["k"])
    gauge.labels("a").set(1)
    collector.close()
    with pytest.raises(finmon.InvalidHandleError):
        gauge.labels("b")
    with pytest.raises(finmon.InvalidHandleError):
        gauge.remove("a")  # cached child: by handle, then by values, both refused
    other = finmon.MetricsCollector()
    try:
        metric = other.gauge("closed_metric", "Closed.", ["k"])
        metric.labels("a")
        metric.close()
        with pytest.raises(finmon.InvalidArgumentError, match="the metric is NULL"):
            metric.labels("b")
        with pytest.raises(finmon.InvalidArgumentError, match="the metric is NULL"):
            metric.remove("a")
        assert other.get_sample_value("closed_metric", {"k": "a"}) == 0.0  # nothing removed
    finally:
        other.close()


def test_child_keeps_its_public_import_path() -> None:
    # Child moved to finmon._child (metrics.py's length); both public names still name it.
    from finmon.metrics import Child, Counter, Gauge, Histogram, Metric

    assert Child is finmon.Child
    assert {"Child", "Counter", "Gauge", "Histogram", "Metric"} <= set(finmon.metrics.__all__)
    assert all(issubclass(kind, Metric) for kind in (Counter, Gauge, Histogram))


def test_a_new_childs_key_is_its_str_values_whatever_the_types_given(collector: finmon.MetricsCollector) -> None:
    # One str value keys the cache as given; anything else is str()-ed first, as before.
    gauge = collector.gauge("keys", "Keys.", ["k"])
    by_str = gauge.labels(k="7")
    assert by_str.label_values == ("7",)
    assert gauge.labels(7) is by_str and gauge.labels(k=7) is by_str
    by_int = gauge.labels(8)
    assert by_int.label_values == ("8",) and gauge.labels("8") is by_int
    two = collector.gauge("keys_two", "Two keys.", ["a", "b"])
    assert two.labels(1, "x") is two.labels("1", "x")
    by_int.set(2.5)
    assert collector.get_sample_value("keys", {"k": "8"}) == 2.5
    assert gauge.series_count() == 2


def test_a_new_child_allocates_no_bounds_of_its_own(collector: finmon.MetricsCollector) -> None:
    # The bounds are the family's, not each child's (one object fewer per series, and a
    # slot fewer); they arrive when the family's first child maps its shard.
    histogram = collector.histogram("bounded", "Bounded.", ["k"], buckets=[1.0, 2.0])
    first, second = histogram.labels("a"), histogram.labels("b")
    assert first._bounds == () and first._bounds is second._bounds
    for _ in range(2):
        first.observe(1.5)
    assert list(first._bounds) == [1.0, 2.0, float("inf")]
    assert collector.get_sample_value("bounded_bucket", {"k": "a", "le": "2.0"}) == 2
    assert second._bounds is first._bounds
    second.observe(2.5)
    second.observe(0.5)  # mapped now: a store into the bucket the family's bounds name
    assert collector.get_sample_value("bounded_bucket", {"k": "b", "le": "1.0"}) == 1
    assert collector.get_sample_value("bounded_bucket", {"k": "b", "le": "+Inf"}) == 2
