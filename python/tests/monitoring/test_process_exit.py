"""A process that exits without calling stop() exits normally."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_exit_without_stop_is_clean() -> None:
    program = textwrap.dedent("""
        import finmon
        collector = finmon.MetricsCollector()
        port = collector.start_http_server(port=0)
        collector.population_diversity.set(0.1)
        print(port, flush=True)
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert int(result.stdout) > 0
