"""Counting instructions (callgrind) and system calls (strace) of a benchmark process.

The benchmarks compare where times do not: on a shared 2-core machine a time moves by
more than 10% between runs, an instruction count by well under 1%. Each measured process
runs once with K operations and once with 0; the difference over K is one operation,
import and set-up excluded.

    per = per_operation(lambda k: count([sys.executable, __file__, "--op", op, "--count", str(k)]), 2000)

The library runs as a copy without debug information (``stripped_library``): valgrind
3.19 cannot read the Swift toolchain's DWARF 5 and gives up.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["count", "per_operation", "stripped_library"]

# callgrind prints "summary:" (older) or "totals:" (newer) with the instruction total.
_CALLGRIND_TOTAL = re.compile(r"^(?:summary|totals): (\d+)", re.MULTILINE)
# strace -c ends with a dashed rule and the total line: "100.00  0.001  12  345  2 total".
_STRACE_TOTAL = (re.compile(r"^-+ -+ -+ -+ -+ -+ -+\n\S+\s+\S+\s+\S+\s+(\d+)", re.MULTILINE),
                 re.compile(r"^\s*100\.00\s+\S+\s+\S+\s+(\d+)", re.MULTILINE))


def stripped_library(folder: str | Path) -> Path:
    """A copy of the library finmon loads (``FINMON_LIB`` or the bundled one), without
    debug information, in ``folder``; made once per folder."""
    from finmon import _native

    library = Path(folder) / "libfinmon-nodebug.so"
    if not library.exists():
        subprocess.run(["objcopy", "--strip-debug", str(_native.library_path()), str(library)], check=True)
    return library


def count(command: Sequence[str], *, tool: str = "callgrind", env: dict[str, str] | None = None,
          folder: str | Path | None = None, timeout: float | None = None) -> int:
    """Instructions (``tool="callgrind"``) or system calls (``tool="strace"``) of one run of
    ``command``, with ``FINMON_LIB`` pointing at the stripped copy of the library.
    ``folder`` keeps the copy between calls (a temporary folder otherwise)."""
    if tool not in ("callgrind", "strace"):
        raise ValueError(f"tool must be 'callgrind' or 'strace', not {tool!r}")
    if folder is None:
        with tempfile.TemporaryDirectory() as temporary:
            return count(command, tool=tool, env=env, folder=temporary, timeout=timeout)
    out = Path(folder) / f"{tool}.out"
    wrapper = (["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] if tool == "callgrind"
               else ["strace", "-c", "-f", "-o", str(out)])
    environment = {**(os.environ if env is None else env), "FINMON_LIB": str(stripped_library(folder))}
    subprocess.run([*wrapper, *command], check=True, capture_output=True, env=environment, timeout=timeout)
    text = out.read_text()
    out.unlink()
    patterns = (_CALLGRIND_TOTAL,) if tool == "callgrind" else _STRACE_TOTAL
    for pattern in patterns:
        if match := pattern.search(text):
            return int(match.group(1))
    raise RuntimeError(f"no total in the {tool} output:\n{text[-600:]}")


def per_operation(run: Callable[[int], int], repetitions: int) -> float:
    """(run(repetitions) - run(0)) / repetitions: one operation's count."""
    return (run(repetitions) - run(0)) / repetitions
