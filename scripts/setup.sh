#!/usr/bin/env bash
# Installs what the tests need from Debian (as root), only what is missing:
# - runc: the reference the benchmarks and the engine tests run beside ocits;
#   crun and GNU time: the other reference and the peak-RSS probe of `npm run bench`;
# - busybox-static: the test containers' rootfs;
# - podman with conmon, containerd (with its runc shim and ctr): the engines
#   the engine tests drive through ocits; bsdutils' `script` gives ctr a pty;
# - python3: test peers (console socket receiver, seccomp agent, socket
#   activation), run as /usr/bin/python3; libseccomp2: linux.seccomp;
# - libcap2-bin: setcap for the file-capability security test;
# - iptables, iproute2, tar, gzip: what CRIU (shared/tools/criu, not a package: Debian's
#   3.17 fails on newer kernels) runs during checkpoint/restore; `ip netns` for its tests;
# - qemu-system-x86, linux-image-amd64 (Debian 12's 6.1 kernel; only its vmlinuz
#   and modules are used, as the guest's kernel: the host does not boot it) and
#   cpio: the pure cgroup v2 guest of test/v2/guest.mjs (docs/cgroup-v2-guest.md);
# - uidmap (newuidmap/newgidmap), slirp4netns, fuse-overlayfs: rootless
#   containers, ocits's own (test/integration/rootless.mjs) and rootless
#   podman's (test/engines/podman-rootless.mjs); the tests make their
#   unprivileged user and its /etc/subuid, /etc/subgid ranges themselves;
#   passwd gives useradd.
set -euo pipefail
need=()
packages=(
  runc
  crun
  time
  busybox-static
  podman
  conmon
  containerd
  bsdutils
  python3
  libseccomp2
  libcap2-bin
  iptables
  iproute2
  tar
  gzip
  qemu-system-x86
  linux-image-amd64
  cpio
  uidmap
  slirp4netns
  fuse-overlayfs
  passwd
)
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: run as root to install: ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # podman's dependencies bring the container network stack (CNI plugins)
  # and containers-common (seccomp.json); recommends are not needed.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
for bin in runc busybox podman conmon containerd ctr containerd-shim-runc-v2 script /usr/bin/python3 qemu-system-x86_64 cpio newuidmap newgidmap slirp4netns fuse-overlayfs useradd runuser setcap; do
  command -v "$bin" >/dev/null || { echo "setup: $bin missing after install" >&2; exit 1; }
done
echo "setup: runc $(runc --version | head -1 | awk '{print $3}'), busybox $(busybox | head -1 | awk '{print $2}'), podman $(podman --version | awk '{print $3}'), containerd $(containerd --version | awk '{print $3}')"
