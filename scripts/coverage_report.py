"""Prints Swift and Python line coverage by area and fails below the design's floors.

Floors (from the original design): resource and container monitors over 85%,
diversity and alerts over 90%. An area with no files yet is reported as absent.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# area -> (floor percent, Swift globs, Python globs)
AREAS: dict[str, tuple[float, list[str], list[str]]] = {
    "resources": (85.0, ["Sources/FinMonCore/System/*", "Sources/FinMonCore/Monitors/ResourceMonitor*"],
                  ["*/finmon/resources.py"]),
    "containers": (85.0, ["Sources/FinMonCore/Docker/*", "Sources/FinMonCore/HTTPClient/*",
                          "Sources/FinMonCore/Monitors/ContainerMonitor*"], ["*/finmon/containers.py"]),
    "diversity": (90.0, ["Sources/FinMonCore/Monitors/Diversity*", "Sources/FinMonCore/Monitors/Loop*",
                         "Sources/FinMonCore/Monitors/RingBuffer*"], ["*/finmon/diversity.py", "*/finmon/monitors.py"]),
    "alerts": (90.0, ["Sources/FinMonCore/Alerts/*"], ["*/finmon/alerts.py"]),
}


def swift_files() -> dict[str, tuple[int, int]]:
    build = ROOT / ".build" / "debug"
    profile = build / "codecov" / "default.profdata"
    binary = build / "finmonPackageTests.xctest"
    if not profile.exists() or not binary.exists():
        print("swift coverage: no profile (run swift test --enable-code-coverage)")
        return {}
    # The toolchain's own llvm-cov: an older one on PATH cannot read Swift 6's profiles.
    swift = shutil.which("swift")
    llvm_cov = str(Path(os.path.realpath(swift)).parent / "llvm-cov") if swift else "llvm-cov"
    raw = subprocess.run([llvm_cov, "export", "-summary-only", f"-instr-profile={profile}", str(binary)],
                         check=True, capture_output=True, text=True).stdout
    files: dict[str, tuple[int, int]] = {}
    for entry in json.loads(raw)["data"][0]["files"]:
        name = str(Path(entry["filename"]).resolve().relative_to(ROOT)) if entry["filename"].startswith(str(ROOT)) else ""
        if name.startswith("Sources/"):
            lines = entry["summary"]["lines"]
            files[name] = (lines["covered"], lines["count"])
    return files


def python_files() -> dict[str, tuple[int, int]]:
    subprocess.run([sys.executable, "-m", "coverage", "combine", "--rcfile=scripts/coveragerc"],
                   cwd=ROOT, capture_output=True)
    out = subprocess.run([sys.executable, "-m", "coverage", "json", "--rcfile=scripts/coveragerc", "-o", "-"],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        print("python coverage: no data")
        return {}
    data = json.loads(out.stdout)
    return {name: (info["summary"]["covered_lines"], info["summary"]["num_statements"])
            for name, info in data["files"].items()}


def percent(covered: int, total: int) -> float:
    return 100.0 * covered / total if total else 100.0


def summarize(kind: str, files: dict[str, tuple[int, int]], column: int) -> list[str]:
    failures = []
    covered = sum(c for c, _ in files.values())
    total = sum(t for _, t in files.values())
    print(f"{kind} total: {percent(covered, total):5.1f}% of {total} lines")
    for area, spec in AREAS.items():
        floor, patterns = spec[0], spec[column]
        chosen = {n: v for n, v in files.items() if any(fnmatch.fnmatch(n, p) for p in patterns)}
        if not chosen:
            print(f"  {area:<11} absent")
            continue
        c = sum(v[0] for v in chosen.values())
        t = sum(v[1] for v in chosen.values())
        mark = "ok" if percent(c, t) > floor else f"BELOW {floor:.0f}%"
        print(f"  {area:<11} {percent(c, t):5.1f}% of {t:5d} lines  {mark}")
        if mark != "ok":
            failures.append(f"{kind} {area}")
    return failures


def main() -> int:
    failures = summarize("swift", swift_files(), 1) + summarize("python", python_files(), 2)
    if failures:
        print("coverage below the floor: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
