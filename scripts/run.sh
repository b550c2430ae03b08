#!/usr/bin/env bash
# The main job: sets up the machine, installs the finmon package (building the Swift
# library in release mode), starts a podman engine on a private socket (as the tests
# do), and runs the instrumented example evolution loop with every backtest in a sandbox
# container: 50 iterations, about two minutes. One sandbox removal in ten is made to fail
# (a simulated engine refusal, `--cleanup-failure-rate 0.1`), so the orphaned-container
# panel and alert have something to show. Arguments go to the loop and override these
# defaults (try --help); `--no-containers` backtests in-process without an engine. The final record
# (metrics_final.json, prometheus_metrics_final.txt) and the alert log are written to
# the folder run.sh is started from.
#
# FINMON_LIB=path/to/libfinmon.so skips the install and runs the checkout's python/
# package on that library (for development and the tests).
set -euo pipefail

here="$PWD"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh >/dev/null

if [[ -n ${FINMON_LIB:-} ]]; then
  export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
else
  # Reinstall only when the sources changed since the last install.
  stamp=".build/finmon-install.stamp"
  digest="$(git ls-files -s Sources include Package.swift python/finmon python/setup.py python/pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1)"
  if [[ ! -f $stamp || "$(cat "$stamp")" != "$digest" ]] || ! python3 -c "import finmon" 2>/dev/null; then
    echo "building and installing finmon (release)..."
    python3 -m pip install --quiet --no-build-isolation --force-reinstall --no-deps ./python
    mkdir -p .build && echo "$digest" >"$stamp"
  fi
fi

containers=1
port=8000
previous=""
for arg in "$@"; do
  [[ $arg == --no-containers ]] && containers=0
  [[ $previous == --port ]] && port="$arg"
  [[ $arg == --port=* ]] && port="${arg#--port=}"
  previous="$arg"
done

podman_pid=""
sock_dir=""
stop_engine() {
  if [[ -n $podman_pid ]]; then
    kill "$podman_pid" 2>/dev/null || true
    wait "$podman_pid" 2>/dev/null || true
  fi
  [[ -z $sock_dir ]] || rm -rf "$sock_dir"
}
trap stop_engine EXIT

if ((containers)) && [[ -z ${DOCKER_HOST:-} ]]; then
  # A podman API service on a private socket, as the tests start it. In its own session,
  # so Ctrl-C stops the loop (which then removes its sandboxes) and not the engine.
  export CONTAINERS_CONF="$ROOT/config/containers.conf"
  sock_dir="$(mktemp -d)"
  setsid podman system service --time=0 "unix://$sock_dir/podman.sock" >"$sock_dir/log" 2>&1 &
  podman_pid=$!
  for _ in $(seq 1 200); do [[ -S $sock_dir/podman.sock ]] && break; sleep 0.05; done
  [[ -S $sock_dir/podman.sock ]] || { cat "$sock_dir/log"; echo "error: podman system service did not start" >&2; exit 1; }
  export DOCKER_HOST="unix://$sock_dir/podman.sock"
  echo "podman engine: $DOCKER_HOST (stopped when the loop ends)"
fi

cat <<EOF
metrics: http://127.0.0.1:$port/metrics while the loop runs (port 0 picks a free one; the loop prints it)
look at it: curl -s http://127.0.0.1:$port/metrics | grep -v '^#'
        or, in another terminal, from $ROOT:
        python3 -m finmon stack   (Prometheus on http://127.0.0.1:9090 scraping port 8000 with the
        alert rules, Alertmanager on http://127.0.0.1:9093; Ctrl-C stops it)
EOF

cd "$here"
# Not exec: the EXIT trap stops the engine once the loop has removed its sandboxes.
python3 "$ROOT/python/examples/autonomous_loop.py" --iterations 50 --cleanup-failure-rate 0.1 "$@"
