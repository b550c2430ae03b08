#!/usr/bin/env bash
# The test command: sets up everything, then runs every test (Swift and pytest) and
# prints coverage. Exits non-zero if anything fails, including a server that cannot start.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

echo "== swift build"
swift build 2>&1 | tee .build-log.txt | grep -E "warning:|error:" && { echo "the build has warnings or errors"; exit 1; } || true
ln -sf libfinmon.so .build/debug/libfinmon.so.1

echo "== swift test"
swift test --enable-code-coverage

echo "== pytest"
export FINMON_LIB="$ROOT/.build/debug/libfinmon.so"
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
export CONTAINERS_CONF="$ROOT/config/containers.conf"
rm -f .coverage .coverage.*
python3 -m coverage run --rcfile=scripts/coveragerc -m pytest python/tests -q -p no:cacheprovider "$@"

echo "== coverage"
python3 scripts/coverage_report.py
