#!/usr/bin/env bash
# Idempotent setup for finmon's tests: Debian packages, Python packages and
# the local podman image `finlab-sandbox:latest` (busybox and Debian's Python). Fast when all is present:
# it only checks (dpkg-query, one python3 import, `podman image exists`).
# Must run as root (apt-get, rootful podman).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CONTAINERS_CONF="$ROOT/config/containers.conf"
IMAGE="${FINLAB_SANDBOX_IMAGE:-finlab-sandbox:latest}"
PYTHON="${PYTHON:-python3}"

die() { echo "error: $*" >&2; exit 1; }

# netavark + iptables: podman's bridge network backend (see config/containers.conf).
# libjs-dygraphs: the live page's charts, compiled into the library (Sources/CFinMonPage);
# chromium + chromium-driver: the page's tests run in a real headless browser; firefox-esr
# draws the report too (Debian has no geckodriver: a headless screenshot, checked by pixel).
# libcrypt-dev: bcrypt for the exporter's basic auth; openssl: the TLS tests' certificates.
APT_PACKAGES=(
  prometheus prometheus-alertmanager podman runc busybox-static
  libyaml-dev zlib1g-dev uidmap slirp4netns netavark iptables
  python3.11-minimal libpython3.11-stdlib
  libjs-dygraphs chromium chromium-driver firefox-esr
  libcrypt-dev openssl
)
# pip name:import name
PIP_PACKAGES=(
  prometheus_client:prometheus_client psutil:psutil hypothesis:hypothesis
  pytest:pytest coverage:coverage docker:docker numpy:numpy PyYAML:yaml wheel:wheel
  selenium:selenium bcrypt:bcrypt
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
# No registry is reachable, so the sandbox image is a root filesystem assembled here and
# `podman import`ed: busybox-static (sh, sleep, ... for the container tests) and Debian's
# Python 3.11 (the files of its packages, their compiled modules, and every shared library
# the interpreter and its extension modules link), enough to run the example's backtest
# (python/examples/backtest.py, standard library only). The image's label
# finmon.sandbox.version names the recipe; an image built by another recipe is rebuilt.
SANDBOX_VERSION=2
PYTHON_PACKAGES=(python3.11-minimal libpython3.11-minimal libpython3.11-stdlib)  # installed above

image_version() {
  podman image inspect --format '{{index .Config.Labels "finmon.sandbox.version"}}' "$IMAGE" 2>/dev/null || true
}

# Copy one file or symlink into the rootfs at the same path; a symlink's target too.
copy_into_rootfs() {
  local path=$1
  [[ -e $rootfs$path || -L $rootfs$path ]] && return 0
  mkdir -p "$rootfs$(dirname "$path")"
  cp -a "$path" "$rootfs$path"
  if [[ -L $path ]]; then copy_into_rootfs "$(readlink -f "$path")"; fi
}

# The shared libraries an ELF file needs (ldd's resolved paths), with the loader.
linked_libraries() {
  ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }'
}

build_sandbox_image() {
  echo "installing podman image $IMAGE (busybox and Debian's Python, podman import)"
  busybox="$(dpkg-query -L busybox-static | grep -E '/bin/busybox$' | head -n1)"
  [[ -n $busybox && -x $busybox ]] || die "busybox-static binary not found"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  rootfs="$work/rootfs"
  mkdir -p "$rootfs"/{bin,dev,etc,proc,sys,tmp,run,usr/lib,usr/lib64}
  # Merged /usr as on the host, so the absolute symlinks of the copied libraries resolve.
  ln -s usr/lib "$rootfs/lib"
  ln -s usr/lib64 "$rootfs/lib64"
  chmod 1777 "$rootfs/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  # One symlink per applet (sh, sleep, cat, yes, dd, head, ...).
  for applet in $("$busybox" --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
  echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/false" >>"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

  local path elf
  while read -r path; do
    [[ -f $path || -L $path ]] && [[ ! -d $path ]] || continue
    copy_into_rootfs "$path"
    # Debian compiles the modules at install time; ship the bytecode so start-up is fast.
    if [[ $path == *.py && -d $(dirname "$path")/__pycache__ ]]; then
      for elf in "$(dirname "$path")/__pycache__/$(basename "$path" .py)".*.pyc; do
        [[ -e $elf ]] && copy_into_rootfs "$elf"
      done
    fi
  done < <(dpkg-query -L "${PYTHON_PACKAGES[@]}")
  ln -sf python3.11 "$rootfs/usr/bin/python3"
  while read -r elf; do
    while read -r path; do copy_into_rootfs "$path"; done < <(linked_libraries "$elf")
  done < <(find "$rootfs/usr/bin/python3.11" "$rootfs/usr/lib/python3.11/lib-dynload" -name 'python3.11' -o -name '*.so' \
             | sed "s|^$rootfs||")

  tar -C "$rootfs" -cf "$work/rootfs.tar" .
  # Imported under a build tag and tagged $IMAGE only once it works, so a failed build
  # never leaves a labelled, broken image behind.
  local candidate="finmon-sandbox-build:$$"
  podman import --quiet \
    --change 'ENV PATH=/usr/bin:/bin' --change 'CMD ["/bin/sh"]' \
    --change "LABEL finmon.sandbox.version=$SANDBOX_VERSION" \
    "$work/rootfs.tar" "$candidate" >/dev/null || die "podman import failed"
  podman run --rm --network none "$candidate" sh -c 'echo sandbox-ok' | grep -q sandbox-ok \
    || die "podman cannot run $candidate (check $CONTAINERS_CONF)"
  podman run --rm --network none "$candidate" python3 -I -c 'import json, math, random; print("python-ok")' \
    | grep -q python-ok || die "Python does not run in $candidate"
  podman tag "$candidate" "$IMAGE" && podman rmi "$candidate" >/dev/null || die "podman tag $IMAGE failed"
  echo "ok: podman image $IMAGE built ($(du -sh "$rootfs" | cut -f1))"
}

if [[ "$(image_version)" == "$SANDBOX_VERSION" ]]; then
  echo "ok: podman image $IMAGE present"
else
  build_sandbox_image
fi
