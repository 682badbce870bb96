#!/usr/bin/env bash
# Installs what the tests need from Debian (as root): runc (the reference the
# benchmarks and comparisons run beside ocits) and busybox-static (test rootfs).
set -euo pipefail
need=()
for pkg in runc busybox-static; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: run as root to install: ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "setup: runc $(runc --version | head -1 | awk '{print $3}'), busybox $(busybox | head -1 | awk '{print $2}')"
