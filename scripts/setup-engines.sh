#!/usr/bin/env bash
# Installs the container engines the engine tests drive through ocits (as root,
# from Debian): podman with conmon, containerd with its runc shim and ctr, and
# runc itself (the reference each engine scenario also runs with). `script`
# (bsdutils) gives ctr a pty for `ctr run -t`. Idempotent and quiet: installs
# only what is missing. Nothing else is needed as root (no uidmap, slirp4netns
# or fuse-overlayfs: the tests run rootful with the overlay driver).
set -euo pipefail
need=()
for pkg in podman conmon containerd runc busybox-static bsdutils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup-engines: run as root to install: ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # podman's dependencies bring the container network stack (CNI plugins)
  # and containers-common (seccomp.json); recommends are not needed.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
for bin in podman conmon containerd ctr containerd-shim-runc-v2 runc script; do
  command -v "$bin" >/dev/null || { echo "setup-engines: $bin missing after install" >&2; exit 1; }
done
echo "setup-engines: podman $(podman --version | awk '{print $3}'), containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | head -1 | awk '{print $3}')"
