"""What a loop that only collects metrics loads (issue #16, resident memory): the modules
finmon imports on first use stay unloaded, and the library is linked without the
regex engine and with packed relocations (Benchmarks/RESULTS-spine.md, section c).
(The library's events still reach ``logging``, imported with the first one: the alert and
exporter tests read them from their loggers.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import finmon
from finmon import _native

# Each costs resident memory a loop that never logs, forks a pool or reads a config does
# not need: logging ~0.7 MiB, multiprocessing.util (pickle, socket, subprocess) ~1.5 MiB,
# the config module with dataclasses and the settings table ~1.1 MiB.
_ON_FIRST_USE = ("logging", "multiprocessing", "pickle", "subprocess", "socket", "dataclasses",
                 "finmon.config", "finmon._settings")

_LOOP = """
import json, sys
import finmon
collector = finmon.MetricsCollector()
port = collector.start_http_server(port=0)
collector.container_memory_usage.labels(container_id="c1").set(1.0)
with collector.batch() as batch:
    batch.inc(collector.strategy_success)
loaded = sorted(name for name in json.loads(sys.argv[1]) if name in sys.modules)
collector.close()
print(json.dumps({"port": port, "loaded": loaded}))
"""


def test_a_loop_that_only_collects_loads_no_logging_multiprocessing_or_config() -> None:
    package_root = str(Path(finmon.__file__).resolve().parent.parent)
    env = dict(os.environ, FINMON_LIB=str(_native.library_path()), PYTHONPATH=package_root)
    env.pop("FINMON_MULTIPROCESS", None)  # a run in the environment hooks multiprocessing on purpose
    done = subprocess.run([sys.executable, "-c", _LOOP, json.dumps(_ON_FIRST_USE)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["port"] > 0
    assert result["loaded"] == []


def test_the_library_has_packed_relocations_no_regex_engine_and_no_shared_libstdcxx() -> None:
    library = str(_native.library_path())
    dynamic = subprocess.run(["readelf", "-d", "-W", library], capture_output=True, text=True, check=True).stdout
    assert "(RELR)" in dynamic  # lld's -z pack-relative-relocs (Package.swift)
    # libstdc++ linked in from its archive (Sources/FinMonExports/libstdcxx): the shared one,
    # ~1 MiB resident once loaded, is not needed.
    assert "libstdc++" not in dynamic
    symbols = subprocess.run(["readelf", "-s", "-W", library], capture_output=True, text=True, check=True).stdout
    assert "17_StringProcessing" not in symbols
    assert "12_RegexParser" not in symbols


_PROTOTYPES = """
import json
import finmon
from finmon import _native
made = sorted(name for name in vars(_native.hot) if name.startswith("finmon_"))
typed = _native.blocking.finmon_version
print(json.dumps({"made": made, "declared": len(_native.PROTOTYPES),
                  "typed": typed.restype is _native.PROTOTYPES["finmon_version"][0]}))
"""


def test_function_objects_are_made_on_first_use_with_the_header_prototype() -> None:
    # Two of each of the header's ~100 functions made at import cost ~0.2 MiB (issue #16).
    package_root = str(Path(finmon.__file__).resolve().parent.parent)
    env = dict(os.environ, FINMON_LIB=str(_native.library_path()), PYTHONPATH=package_root)
    env.pop("FINMON_MULTIPROCESS", None)
    done = subprocess.run([sys.executable, "-c", _PROTOTYPES], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert 0 < len(result["made"]) < result["declared"] // 2
    assert result["typed"]


def test_a_library_without_the_header_functions_is_refused() -> None:
    import ctypes

    with pytest.raises(finmon.LibraryLoadError, match="lacks finmon_"):
        _native._check_symbols(ctypes.CDLL(None))
