"""Builds libfinmon.so with SwiftPM (release) and bundles it into the package.

`pip install ./python` runs this; `FINMON_SKIP_SWIFT_BUILD=1` bundles an already built
library from `FINMON_LIB` instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent.parent


class BuildWithSwift(build_py):
    """Compile the Swift library before collecting the package files."""

    def run(self) -> None:
        target = Path(__file__).resolve().parent / "finmon" / "libfinmon.so"
        if os.environ.get("FINMON_SKIP_SWIFT_BUILD"):
            source = Path(os.environ["FINMON_LIB"])
        else:
            subprocess.run(["swift", "build", "-c", "release", "--product", "finmon"], cwd=ROOT, check=True)
            source = ROOT / ".build" / "release" / "libfinmon.so"
        shutil.copyfile(source, target)
        super().run()


setup(cmdclass={"build_py": BuildWithSwift})
