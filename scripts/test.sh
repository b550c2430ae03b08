#!/usr/bin/env bash
# The test command: sets up everything, then runs every test (Swift and pytest) and
# prints coverage. Exits non-zero if anything fails, including a server that cannot start.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

# Built and tested with the TLS trait (the exporter's TLS, swift-nio-ssl); the default build,
# without it, is built too (its own scratch folder: switching traits in one rebuilds all),
# so it stays warning-free and its refusal of a web config is tested.
# With coverage already, as `swift test --enable-code-coverage` builds: one build, not two.
echo "== swift build --traits TLS"
swift build --traits TLS --enable-code-coverage 2>&1 | grep -E "warning:|error:" && { echo "the build has warnings or errors"; exit 1; } || true
ln -sf libfinmon.so .build/debug/libfinmon.so.0  # the SONAME: libfinmon.so.<ABI major>
echo "== swift build (default traits: no TLS)"
swift build --scratch-path .build-notls --product finmon 2>&1 | grep -E "warning:|error:" \
  && { echo "the build without TLS has warnings or errors"; exit 1; } || true
export FINMON_NOTLS_LIB="$ROOT/.build-notls/debug/libfinmon.so"

echo "== swift test (with a real podman engine for the Docker client's live test)"
export CONTAINERS_CONF="$ROOT/config/containers.conf"
sock_dir="$(mktemp -d)"
podman system service --time=0 "unix://$sock_dir/podman.sock" >"$sock_dir/log" 2>&1 &
podman_pid=$!
trap 'kill "$podman_pid" 2>/dev/null; wait "$podman_pid" 2>/dev/null; rm -rf "$sock_dir"' EXIT
for _ in $(seq 1 200); do [[ -S $sock_dir/podman.sock ]] && break; sleep 0.05; done
[[ -S $sock_dir/podman.sock ]] || { cat "$sock_dir/log"; echo "error: podman system service did not start"; exit 1; }
export FINMON_TEST_DOCKER_HOST="unix://$sock_dir/podman.sock"
# One running container the live test owns, so its stats calls never depend on another
# container that may stop between the list and the stats (a flake CI once showed).
live_name="finmon-live-test-$$"
podman rm -f "$live_name" >/dev/null 2>&1 || true
FINMON_TEST_LIVE_CONTAINER="$(podman run -d --rm --name "$live_name" --label finmon.test=live \
  "${FINLAB_SANDBOX_IMAGE:-finlab-sandbox:latest}" sleep 3600)" \
  || { echo "error: podman could not start the live test's container"; exit 1; }
export FINMON_TEST_LIVE_CONTAINER
trap 'podman rm -f -t 0 "$live_name" >/dev/null 2>&1; kill "$podman_pid" 2>/dev/null; wait "$podman_pid" 2>/dev/null; rm -rf "$sock_dir"' EXIT
swift test --traits TLS --enable-code-coverage
podman rm -f -t 0 "$live_name" >/dev/null 2>&1 || true

echo "== pytest"
export FINMON_LIB="$ROOT/.build/debug/libfinmon.so"
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
rm -f .coverage .coverage.*
python3 -m coverage run --rcfile=scripts/coveragerc -m pytest python/tests -q -p no:cacheprovider "$@"

echo "== coverage"
python3 scripts/coverage_report.py
