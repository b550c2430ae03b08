"""The daemon thread that carries the library's log and alert events into ``logging``.

The library never calls into Python. This thread waits in a GIL-releasing native call
for the next event and logs it: the library's own messages on ``finmon`` as text, alert
events on ``finmon.alerts`` with the alert's JSON as the message.
"""

from __future__ import annotations

import ctypes
import json
import threading
from ctypes import c_void_p

from . import _native

__all__ = ["EventPump"]

# logging is imported with the first event, not at import: a loop that only updates
# metrics may never see one, and logging (with traceback, string, tokenize) costs ~0.7 MiB.


class EventPump:
    """Drains one collector's event queue into ``logging`` on a daemon thread."""

    def __init__(self, handle: int) -> None:
        self._handle = handle
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="finmon-events", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        next_event = _native.blocking.finmon_events_next
        out = c_void_p()
        while True:
            # Once stopping, drain what is queued without waiting, then end.
            stopping = self._stopping.is_set()
            rc = next_event(self._handle, 0.0 if stopping else 0.5, ctypes.byref(out))
            if rc < 0:
                return  # the collector was freed
            if not out.value:
                if stopping:
                    return
                continue
            try:
                self._log(_native.take_string(out))
            except Exception:  # a broken handler must not kill the pump
                import logging

                logging.getLogger("finmon").exception("finmon could not log an event")
            out.value = None

    @staticmethod
    def _log(raw: bytes) -> None:
        import logging

        event = json.loads(raw)
        logger = logging.getLogger(event.get("logger") or "finmon")
        levels = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
        level = levels.get(event.get("level"), logging.INFO)
        data = event.get("data")
        if logger.name == "finmon.alerts" and data is not None:
            logger.log(level, json.dumps(data, sort_keys=True), extra={"finmon": data})
        else:
            logger.log(level, event.get("message", ""), extra={"finmon": data})

    def stop(self, timeout: float = 5.0) -> None:
        """Let the thread finish what is queued and end."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
