"""PromQL helpers shared by the dashboard and the stack, written to match the Swift core's
alert rules renderer (``AlertRulesRenderer.duration``) character for character, so the
dashboard, the Prometheus config and ``alert_rules.yml`` print a duration the same way.

Example:
    >>> from finmon._promql import duration
    >>> duration(5), duration(0.25), duration(0.0025), duration(0)
    ('5s', '250ms', '3ms', '1ms')
"""

from __future__ import annotations

import math

__all__ = ["MAX_DURATION_SECONDS", "duration"]

#: The longest duration printed (100 years): Prometheus keeps durations as int64
#: nanoseconds (about 292 years), so a longer one would not parse.
MAX_DURATION_SECONDS = 100.0 * 365 * 86400


def duration(seconds: float) -> str:
    """A Prometheus duration: whole seconds as ``25s``, otherwise milliseconds (``1500ms``),
    rounded half away from zero; never below ``1ms`` (a zero range or interval is invalid,
    so NaN, infinities and values <= 0 give ``1ms``) nor above 100 years.

    Example:
        >>> duration(25), duration(1.5), duration(float("nan")), duration(1e300)
        ('25s', '1500ms', '1ms', '3153600000s')
    """
    seconds = float(seconds)
    if not math.isfinite(seconds) or seconds <= 0:
        return "1ms"
    scaled = min(seconds, MAX_DURATION_SECONDS) * 1000
    # Swift's rounded(): to nearest, ties away from zero (Python's round() ties to even).
    # scaled - floor(scaled) is exact in binary floating point, so the tie test is too.
    whole = math.floor(scaled)
    milliseconds = max(whole + 1 if scaled - whole >= 0.5 else whole, 1)
    return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"
