"""`pip install ./python` bundles the library, and the installed package loads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from finmon import _native

ROOT = Path(__file__).resolve().parents[3]


def test_pip_install_bundles_and_loads_the_library(tmp_path: Path) -> None:
    target = tmp_path / "site"
    env = {**os.environ, "FINMON_SKIP_SWIFT_BUILD": "1", "FINMON_LIB": str(_native.library_path())}
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
         "--target", str(target), str(ROOT / "python")],
        capture_output=True, text=True, env=env, timeout=300)
    assert install.returncode == 0, install.stderr
    assert (target / "finmon" / "libfinmon.so").stat().st_size > 0
    assert (target / "finmon" / "py.typed").exists()
    clean_env = {k: v for k, v in os.environ.items() if k not in ("FINMON_LIB", "PYTHONPATH")}
    clean_env["PYTHONPATH"] = str(target)
    probe = subprocess.run(
        [sys.executable, "-c", "import finmon, finmon._native as n; print(n.library_path()); "
                               "c = finmon.MetricsCollector(); c.population_diversity.set(0.1); "
                               "print(c.get_sample_value('population_diversity'))"],
        capture_output=True, text=True, env=clean_env, cwd=tmp_path, timeout=60)
    assert probe.returncode == 0, probe.stderr
    path, value = probe.stdout.split()
    assert Path(path) == target / "finmon" / "libfinmon.so"
    assert float(value) == 0.1


def test_a_library_with_another_abi_major_is_refused(tmp_path: Path) -> None:
    program = ("import finmon._native as n\n"
               "n.ABI_MAJOR = 99\n"
               "try:\n    n._check_abi()\nexcept ImportError as e:\n    print('refused:', e)\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused:") and "needs 99.x" in result.stdout


def test_a_missing_library_is_a_clear_import_error(tmp_path: Path) -> None:
    env = {**os.environ, "FINMON_LIB": str(tmp_path / "nowhere.so")}
    result = subprocess.run([sys.executable, "-c", "import finmon"], capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode != 0
    assert "LibraryLoadError" in result.stderr and "nowhere.so" in result.stderr
