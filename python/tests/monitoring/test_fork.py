"""A forked child can use the library and start its own exporter."""

from __future__ import annotations

import faulthandler
import os
import sys

import pytest
from scrape import get

import finmon


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork semantics tested on Linux; not Linux")
def test_child_starts_its_own_exporter_after_fork(collector: finmon.MetricsCollector) -> None:
    parent_port = collector.start_http_server(port=0)
    assert parent_port
    collector.population_diversity.set(0.5)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report through the pipe, never return into pytest
        # A hung child would hang the parent's waitpid: dump its stacks and exit instead.
        faulthandler.dump_traceback_later(20, exit=True)
        code = 1
        try:
            collector.population_diversity.set(0.75)
            child_port = collector.start_http_server(port=0)
            _, _, body = get(child_port or 0)
            fresh = finmon.MetricsCollector()
            fresh.strategy_success.inc()
            ok = b"population_diversity 0.75" in body and fresh.get_sample_value("strategy_success_total") == 1
            collector.stop()
            os.write(write_end, b"ok" if ok else body[:200])
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    message = os.read(read_end, 4096)
    os.close(read_end)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert message == b"ok"
    # The parent's exporter is untouched by the child.
    assert b"population_diversity 0.5" in get(parent_port)[2]
