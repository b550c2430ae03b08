"""A loop process that gets every in-process alert to fire, for the alert-source tests.

Run as ``python faulty_loop.py CONFIG ITERATIONS``: it starts finmon from CONFIG, records
ITERATIONS failed iterations with a collapsed diversity and no champion (diversity
collapse, low success rate, champion staleness with the test's small windows), grows its
resident memory by 100 kB every 0.1 s (a leak), then records nothing more (a stuck loop)
and waits. It prints ``ready PORT`` once finmon runs and ``iterated`` after the
iterations. SIGTERM stops finmon cleanly (``runtime.stop()``, which resolves its firing
alerts at Alertmanager) and exits 0; SIGKILL is the crash the tests also play.
"""

from __future__ import annotations

import signal
import sys
import threading

import finmon


def main() -> int:
    config, iterations = sys.argv[1], int(sys.argv[2])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    runtime = finmon.start(config)
    print(f"ready {runtime.port}", flush=True)

    leaked: list[bytearray] = []

    def leak() -> None:
        # Zero-filled pages are touched, so the resident memory grows 1 MB/s.
        while not stop.wait(0.1):
            leaked.append(bytearray(100_000))

    threading.Thread(target=leak, daemon=True).start()
    for i in range(iterations):
        with runtime.iteration(i) as it:
            it.fail()
        runtime.record_diversity(i, 0.01, 1, 10)
    print("iterated", flush=True)
    stop.wait()
    runtime.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
