"""Swift's exports implement the functions finmon.h declares (`@c @implementation` in
Sources/FinMonExports, over the CFinMon module whose module map names the header), so a
Swift signature that differs from the header is a compile error, not a silent ABI break.
This compiles one export twice against the header: as written it is accepted, with one
parameter's type changed the compiler refuses it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

EXPORT = """
import CFinMon

@c @implementation
public func finmon_collector_exposition(
    _ collector: OpaquePointer?, _ format: {format_type}, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ length: UnsafeMutablePointer<Int>?
) -> Int32 {{
    FINMON_OK.rawValue
}}
"""


def typecheck(folder: Path, source: str) -> subprocess.CompletedProcess[str]:
    swiftc = shutil.which("swiftc")
    assert swiftc, "swiftc is needed for the compile-time check"
    path = folder / "Export.swift"
    path.write_text(source)
    return subprocess.run(
        [swiftc, "-typecheck", "-parse-as-library", "-swift-version", "6", "-I", str(ROOT / "Sources" / "CFinMon"),
         "-module-name", "FinMonExports", str(path)],
        capture_output=True, text=True, timeout=300)


def test_an_export_with_the_headers_signature_compiles(tmp_path: Path) -> None:
    result = typecheck(tmp_path, EXPORT.format(format_type="finmon_format"))
    assert result.returncode == 0, result.stderr


def test_an_export_whose_signature_differs_from_the_header_does_not_compile(tmp_path: Path) -> None:
    # `int` where the header says finmon_format: the drift the hand-written copies allowed.
    result = typecheck(tmp_path, EXPORT.format(format_type="Int32"))
    assert result.returncode != 0
    assert "finmon_collector_exposition" in result.stderr
    assert "declared by the header" in result.stderr


def test_an_export_the_header_does_not_declare_does_not_compile(tmp_path: Path) -> None:
    result = typecheck(tmp_path, EXPORT.format(format_type="finmon_format").replace(
        "finmon_collector_exposition", "finmon_collector_exposition_v2"))
    assert result.returncode != 0
    assert "could not find imported function 'finmon_collector_exposition_v2'" in result.stderr
