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


def sections(path: Path) -> set[str]:
    """The ELF section names of ``path`` (readelf, from binutils)."""
    listing = subprocess.run(["readelf", "-S", "--wide", str(path)], capture_output=True, text=True, check=True)
    return {line.split("]", 1)[1].split()[0] for line in listing.stdout.splitlines()
            if line.strip().startswith("[") and "]" in line and line.split("]", 1)[1].split()}


def test_the_wheel_is_a_platform_wheel_with_a_stripped_library(tmp_path: Path) -> None:
    import sysconfig
    import zipfile

    dist = tmp_path / "dist"
    env = {**os.environ, "FINMON_SKIP_SWIFT_BUILD": "1", "FINMON_LIB": str(_native.library_path())}
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps", "-w", str(dist),
         str(ROOT / "python")], capture_output=True, text=True, env=env, timeout=600)
    assert built.returncode == 0, built.stderr
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    [wheel] = list(dist.glob("*.whl"))
    # Not py3-none-any: pip on another platform must not install a library built for this one.
    assert wheel.name == f"finmon-0.1.0-py3-none-{platform}.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read("finmon-0.1.0.dist-info/WHEEL").decode()
        archive.extract("finmon/libfinmon.so", tmp_path / "unpacked")
    assert "Root-Is-Purelib: false" in metadata and f"Tag: py3-none-{platform}" in metadata
    assert not [name for name in names if name.endswith(".debug")]  # the debug file is not installed
    library = tmp_path / "unpacked" / "finmon" / "libfinmon.so"
    assert ".debug_info" in sections(_native.library_path())  # the input had it: the check can fail
    assert not {".debug_info", ".debug_line", ".symtab"} & sections(library)
    assert ".gnu_debuglink" in sections(library)
    [debug] = list((ROOT / "python" / "build").rglob("libfinmon.so.debug"))
    assert ".debug_info" in sections(debug)
    assert library.stat().st_size < _native.library_path().stat().st_size
    # The stripped library still loads and works.
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    clean_env = {k: v for k, v in os.environ.items() if k not in ("FINMON_LIB", "PYTHONPATH")}
    clean_env["PYTHONPATH"] = str(site)
    probe = subprocess.run(
        [sys.executable, "-c", "import finmon; c = finmon.MetricsCollector(); c.strategy_success.inc(); "
                               "print(c.get_sample_value('strategy_success_total'))"],
        capture_output=True, text=True, env=clean_env, cwd=tmp_path, timeout=60)
    assert probe.returncode == 0 and probe.stdout.strip() == "1.0", probe.stderr
