"""A child whose series was removed is re-created on its next use, as prometheus_client
does, whoever removed it (``remove``, ``clear``, or the library's own container cleanup);
and threads racing ``labels()`` against ``remove()``/``clear()`` never see an error."""

from __future__ import annotations

import threading

import finmon


def memory(collector: finmon.MetricsCollector, container_id: str) -> float | None:
    return collector.get_sample_value("container_memory_usage_bytes", {"container_id": container_id})


def test_a_child_the_library_removed_is_recreated_by_its_next_set(collector: finmon.MetricsCollector) -> None:
    containers = finmon.ContainerMonitor(collector)
    containers.record_container_created("abc")
    child = collector.container_memory_usage.labels(container_id="abc")
    child.set(1e6)
    assert memory(collector, "abc") == 1e6
    # The library's own cleanup removes the container's series (the audit's silent no-op).
    containers.record_container_cleanup("abc", True)
    assert memory(collector, "abc") is None
    child.set(2e6)
    assert memory(collector, "abc") == 2e6
    assert child.get() == 2e6
    assert collector.container_memory_usage.labels(container_id="abc").get() == 2e6


def test_remove_and_clear_then_every_verb_and_batch_recreate_the_series(collector: finmon.MetricsCollector) -> None:
    counter = collector.counter("jobs", "Jobs.", ["queue"])
    child = counter.labels("a")
    child.inc(3)
    counter.remove("a")
    assert collector.get_sample_value("jobs_total", {"queue": "a"}) is None
    child.inc()
    assert collector.get_sample_value("jobs_total", {"queue": "a"}) == 1.0
    counter.clear()
    assert child.get() == 0.0  # a read re-creates it too, from zero
    with collector.batch() as batch:
        batch.inc(child, 5)
    assert collector.get_sample_value("jobs_total", {"queue": "a"}) == 5.0
    prepared = collector.prepare_batch([("inc", child)])
    counter.remove("a")
    prepared.apply([2])
    assert collector.get_sample_value("jobs_total", {"queue": "a"}) == 2.0


def test_a_closed_collector_still_raises(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("g", "G.", ["k"])
    child = gauge.labels("x")
    gauge.remove("x")
    collector.close()
    try:
        child.set(1)
    except finmon.InvalidHandleError:
        pass
    else:
        raise AssertionError("a child of a closed collector accepted a write")


def test_threads_racing_labels_remove_and_clear_never_raise(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("raced", "Raced.", ["k"])
    errors: list[BaseException] = []
    stop = threading.Event()
    writes = [0]

    def writer(index: int) -> None:
        try:
            bound = gauge.labels(str(index % 4))
            while not stop.is_set():
                gauge.labels(str(index % 4)).set(1.0)
                bound.inc()
                writes[0] += 1
        except BaseException as error:  # noqa: BLE001 - the test collects any
            errors.append(error)
            stop.set()

    def remover() -> None:
        try:
            turn = 0
            while not stop.is_set():
                gauge.remove(str(turn % 4))
                if turn % 16 == 0:
                    gauge.clear()
                turn += 1
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
            stop.set()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    threads += [threading.Thread(target=remover) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = threading.Event()
    deadline.wait(3.0)  # a fixed amount of racing, not a wait for a condition
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors[:3]
    assert writes[0] > 1000
    # Afterwards every child still writes where a scrape sees it.
    gauge.labels("1").set(7)
    assert collector.get_sample_value("raced", {"k": "1"}) == 7.0
