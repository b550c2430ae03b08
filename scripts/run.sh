#!/usr/bin/env bash
# The main job: sets up everything, installs the finmon package (building the Swift
# library in release mode), and runs the instrumented example evolution loop with the
# exporter on. Arguments go to the loop (try --help).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh >/dev/null

# Reinstall only when the sources changed since the last install.
stamp=".build/finmon-install.stamp"
digest="$(git ls-files -s Sources include Package.swift python/finmon python/setup.py python/pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1)"
if [[ ! -f $stamp || "$(cat "$stamp")" != "$digest" ]] || ! python3 -c "import finmon" 2>/dev/null; then
  echo "building and installing finmon (release)..."
  python3 -m pip install --quiet --no-build-isolation --force-reinstall --no-deps ./python
  mkdir -p .build && echo "$digest" >"$stamp"
fi

exec python3 python/examples/autonomous_loop.py "$@"
