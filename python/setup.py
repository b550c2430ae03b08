"""Builds libfinmon.so with SwiftPM (release) and bundles it into the package.

`pip install ./python` (or `pip wheel ./python`) runs this; `FINMON_SKIP_SWIFT_BUILD=1`
bundles an already built library from `FINMON_LIB` instead.

The wheel is a platform wheel (`py3-none-linux_x86_64` on this machine): the package is
pure Python over ctypes, but it carries a native library for one platform, linked against
the system's libyaml and zlib, which pip on another platform must not install. The
bundled library is stripped; its debug information is kept next to the built library
(`libfinmon.so.debug`, linked by `.gnu_debuglink`) and is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:
    from wheel.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - setuptools >= 70 ships its own
    from setuptools.command.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent


def platform_tag() -> str:
    """The wheel platform tag of this machine, e.g. ``linux_x86_64``."""
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


# Every Swift module (the dependencies too: SwiftNIO, swift-collections) with one section
# per function, so the link order (Sources/FinMonExports/link-order.txt) reaches their
# functions as well: ~0.6 MiB less of the library's code resident in a process that runs
# the exporter (issue #16, Benchmarks/RESULTS-spine.md section c). Package.swift can only
# set it for finmon's own targets; the dependencies get it from the command line.
FUNCTION_SECTIONS = ["-Xswiftc", "-Xfrontend", "-Xswiftc", "-function-sections"]


class BuildWithSwift(build_py):
    """Compile the Swift library, then bundle it stripped, before collecting the package files."""

    def run(self) -> None:
        if os.environ.get("FINMON_SKIP_SWIFT_BUILD"):
            source = Path(os.environ["FINMON_LIB"])
        else:
            # FINMON_TRAITS=TLS builds the exporter's TLS in (see the README's TLS section).
            traits = ["--traits", os.environ["FINMON_TRAITS"]] if os.environ.get("FINMON_TRAITS") else []
            subprocess.run(["swift", "build", "-c", "release", "--product", "finmon", *traits, *FUNCTION_SECTIONS],
                           cwd=ROOT, check=True)
            source = ROOT / ".build" / "release" / "libfinmon.so"
        target = Path(__file__).resolve().parent / "finmon" / "libfinmon.so"
        debug = Path(self.build_lib).parent / "finmon-debug" / "libfinmon.so.debug"
        debug.parent.mkdir(parents=True, exist_ok=True)
        # Debug information to its own file (kept in the build folder, never installed),
        # then the bundled copy without it and without local symbols.
        subprocess.run(["objcopy", "--only-keep-debug", str(source), str(debug)], check=True)
        shutil.copyfile(source, target)
        subprocess.run(["strip", "--strip-debug", "--strip-unneeded", str(target)], check=True)
        subprocess.run(["objcopy", f"--add-gnu-debuglink={debug}", str(target)], check=True)
        super().run()


class PlatformWheel(bdist_wheel):
    """``py3-none-<platform>``: any Python 3, this platform only."""

    def get_tag(self) -> tuple[str, str, str]:
        return "py3", "none", platform_tag()


class NativeDistribution(Distribution):
    """Carries a native library: built and installed as platform-specific (platlib,
    ``Root-Is-Purelib: false``), though no extension module is compiled."""

    def has_ext_modules(self) -> bool:
        return True


setup(distclass=NativeDistribution, cmdclass={"build_py": BuildWithSwift, "bdist_wheel": PlatformWheel})
