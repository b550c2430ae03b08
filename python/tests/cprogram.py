"""Compiling a C program against include/finmon.h (which includes its parts,
include/finmon/*.h) and the library under test, with every warning an error, as a C user
of finmon would build one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from finmon import _native

ROOT = Path(__file__).resolve().parents[2]


def compile_c(folder: Path, source: str, name: str = "client",
              flags: tuple[str, ...] = ()) -> tuple[Path, dict[str, str]]:
    """``source`` built in ``folder``; returns the binary and the environment that runs it
    (the library found by its SONAME). A compile error fails the calling test."""
    path = folder / f"{name}.c"
    path.write_text(source)
    libdir = folder / "lib"
    libdir.mkdir(exist_ok=True)
    for link in ("libfinmon.so", f"libfinmon.so.{_native.ABI_MAJOR}"):  # link by name, load by SONAME
        if not (libdir / link).exists():
            (libdir / link).symlink_to(_native.library_path())
    binary = folder / name
    compiled = subprocess.run(
        ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", *flags, f"-I{ROOT / 'include'}",
         str(path), f"-L{libdir}", "-lfinmon", "-lm", "-o", str(binary)],
        capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    return binary, {**os.environ, "LD_LIBRARY_PATH": str(libdir)}
