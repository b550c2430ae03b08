#!/usr/bin/env bash
# Idempotent setup for finmon's tests: Debian packages, Python packages and
# the local podman image `finlab-sandbox:latest`. Fast when all is present:
# it only checks (dpkg-query, one python3 import, `podman image exists`).
# Must run as root (apt-get, rootful podman).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CONTAINERS_CONF="$ROOT/config/containers.conf"
IMAGE="${FINLAB_SANDBOX_IMAGE:-finlab-sandbox:latest}"
PYTHON="${PYTHON:-python3}"

die() { echo "error: $*" >&2; exit 1; }

# netavark + iptables: podman's bridge network backend (see config/containers.conf).
APT_PACKAGES=(
  prometheus prometheus-alertmanager podman runc busybox-static
  libyaml-dev zlib1g-dev uidmap slirp4netns netavark iptables
)
# pip name:import name
PIP_PACKAGES=(
  prometheus_client:prometheus_client psutil:psutil hypothesis:hypothesis
  pytest:pytest coverage:coverage docker:docker numpy:numpy PyYAML:yaml wheel:wheel
)

[[ -f "$CONTAINERS_CONF" ]] || die "missing $CONTAINERS_CONF"

# --- Debian packages -------------------------------------------------------
missing_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    echo "ok: $pkg present"
  else
    missing_apt+=("$pkg")
  fi
done
if ((${#missing_apt[@]})); then
  [[ $EUID -eq 0 ]] || die "must be root to install: ${missing_apt[*]}"
  echo "installing (apt): ${missing_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq "${missing_apt[@]}" || die "apt-get install failed: ${missing_apt[*]}"
  for pkg in "${missing_apt[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || die "$pkg still not installed after apt-get install"
    echo "ok: $pkg installed"
  done
fi

# --- Python packages -------------------------------------------------------
# One interpreter start for all checks; it prints the pip names it cannot import.
pip_status="$("$PYTHON" - "${PIP_PACKAGES[@]}" <<'PY'
import importlib.util, sys
for entry in sys.argv[1:]:
    pip_name, module = entry.split(":")
    print(("ok " if importlib.util.find_spec(module) else "missing ") + pip_name)
PY
)" || die "$PYTHON failed to run"
to_install=()
while read -r state name; do
  if [[ $state == ok ]]; then echo "ok: $name (python) present"; else to_install+=("$name"); fi
done <<<"$pip_status"
if ((${#to_install[@]})); then
  echo "installing (pip): ${to_install[*]}"
  "$PYTHON" -m pip install --quiet "${to_install[@]}" || die "pip install failed: ${to_install[*]}"
  for entry in "${PIP_PACKAGES[@]}"; do
    "$PYTHON" -c "import ${entry#*:}" || die "${entry%%:*} installed but \`import ${entry#*:}\` fails"
  done
  echo "ok: ${to_install[*]} (python) installed"
fi

# --- podman image ----------------------------------------------------------
# No registry is reachable: build a busybox-only rootfs and `podman import` it.
if podman image exists "$IMAGE"; then
  echo "ok: podman image $IMAGE present"
else
  echo "installing podman image $IMAGE (podman import of a busybox-static rootfs)"
  busybox="$(dpkg-query -L busybox-static | grep -E '/bin/busybox$' | head -n1)"
  [[ -n $busybox && -x $busybox ]] || die "busybox-static binary not found"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  rootfs="$work/rootfs"
  mkdir -p "$rootfs"/{bin,dev,etc,proc,sys,tmp,run}
  chmod 1777 "$rootfs/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  # One symlink per applet (sh, sleep, cat, yes, dd, head, ...).
  for applet in $("$busybox" --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
  echo "root:x:0:" >"$rootfs/etc/group"
  tar -C "$rootfs" -cf "$work/rootfs.tar" .
  podman import --quiet \
    --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' \
    "$work/rootfs.tar" "$IMAGE" >/dev/null || die "podman import failed"
  podman run --rm --network none "$IMAGE" sh -c 'echo sandbox-ok' | grep -q sandbox-ok \
    || die "podman cannot run $IMAGE (check $CONTAINERS_CONF)"
  echo "ok: podman image $IMAGE built"
fi
