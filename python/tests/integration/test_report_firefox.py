"""The report in Firefox too (Debian's firefox-esr; Debian has no geckodriver, so no
WebDriver): Firefox draws report.html headless to a screenshot, and the screenshot must
hold the charts' lines (the series' blue and the thresholds' dashed red) in each half of
the page where the quadrants are. A Firefox that cannot start fails the test."""

from __future__ import annotations

import os
import struct
import subprocess
import time
import zlib
from pathlib import Path

import pytest

import finmon

FIREFOX = "/usr/bin/firefox-esr"
BLUE = (0x1F, 0x77, 0xB4)   # the first series' color on the page
RED = (0xC6, 0x28, 0x28)    # threshold lines


def png_pixels(path: Path) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB(A) PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, header = 8, b"", None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = previous[x]
            corner = previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows, bpp


def count(rows: list[bytes], bpp: int, color: tuple[int, int, int], x0: int, x1: int, y0: int, y1: int) -> int:
    hits = 0
    for row in rows[y0:y1]:
        for x in range(x0, x1):
            r, g, b = row[x * bpp:x * bpp + 3]
            if abs(r - color[0]) < 24 and abs(g - color[1]) < 24 and abs(b - color[2]) < 24:
                hits += 1
    return hits


def test_firefox_draws_the_reports_panels(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    config = tmp_path / "monitoring_config.yaml"
    config.write_text(f"""
monitoring:
  prometheus: {{enabled: false}}
  container_monitor: {{enabled: false}}
  alerts: {{enabled: false}}
  export: {{directory: "{out}"}}
grafana: {{refresh_interval: 100ms}}
""")
    runtime = finmon.start(config)
    for i in range(1, 31):
        with runtime.iteration(i) as it:
            it.result(sharpe=0.1 * (i % 7), max_drawdown=-0.01 * (i % 5))
        runtime.record_diversity(i, diversity=0.5 - 0.01 * i, unique_count=20 - i % 3, total_count=20)
        if i % 6 == 0:
            runtime.record_champion_update(i, old_sharpe=None, new_sharpe=0.1 * i)
        time.sleep(0.05)  # a few history samples between iterations
    runtime.stop()
    report = out / "report.html"
    assert report.exists()

    profile = tmp_path / "profile"
    profile.mkdir()
    shot = tmp_path / "report_firefox.png"
    env = dict(os.environ, HOME=str(profile), MOZ_HEADLESS="1")
    try:
        result = subprocess.run([FIREFOX, "--headless", "--no-remote", "-profile", str(profile),
                                 "--window-size=1440,1000", "--screenshot", str(shot), report.as_uri()],
                                capture_output=True, text=True, timeout=120, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"Firefox could not start or hung (run scripts/setup.sh): {exc}")
    assert shot.exists(), f"Firefox wrote no screenshot: {result.returncode} {result.stderr[-2000:]}"
    width, height, rows, bpp = png_pixels(shot)
    assert (width, height) == (1440, 1000)
    # The quadrants' rows start under the summary and the row of values (about y=300);
    # each half of the page holds two quadrants, each with lines in blue and dashed red.
    for x0, x1 in ((0, width // 2), (width // 2, width)):
        blue = count(rows, bpp, BLUE, x0, x1, 300, height)
        red = count(rows, bpp, RED, x0, x1, 300, height)
        assert blue > 300, f"no series drawn in x {x0}..{x1} ({blue} blue pixels)"
        assert red > 100, f"no threshold line in x {x0}..{x1} ({red} red pixels)"
