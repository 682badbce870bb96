#!/bin/busybox sh
# Stage 1 of the cgroup v2 guest (the initramfs's /init, busybox): load the 9p
# and overlay modules, mount the host's root (9p tag "hostroot", read-only)
# under a tmpfs-backed overlay so the guest may write anywhere without touching
# the host, mount the job directory (9p tag "job", writable) at /v2job, and hand
# over to stage 2 (test/v2/stage2.sh of the repo named in job.env), or to
# systemd when the kernel command line says ocits.init=systemd.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "v2guest: stage 1: $*"; echo o > /proc/sysrq-trigger; sleep 10; }
for m in $(cat /modules/order); do insmod "/modules/$m" || fail "insmod $m"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower || fail 'mount hostroot'
mount -t tmpfs -o mode=755 tmpfs /upper && mkdir /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay /newroot || fail 'mount overlay'
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 job /job || fail 'mount job'
. /job/job.env || fail 'no job.env'
mkdir -p /newroot/v2job && mount --move /job /newroot/v2job
for d in proc sys dev; do mount --move "/$d" "/newroot/$d"; done
if grep -qw ocits.init=systemd /newroot/proc/cmdline; then
  # systemd (the host's own, 252 on Debian 12) boots ocits-v2.target only:
  # stage 2 as a oneshot service with a delegated cgroup.
  units=/newroot/etc/systemd/system
  printf '[Unit]\nDescription=ocits cgroup v2 guest\nRequires=ocits-v2.service\nAllowIsolate=yes\n' > $units/ocits-v2.target
  printf '[Unit]\nDescription=ocits tests in the cgroup v2 guest\nDefaultDependencies=no\n[Service]\nType=oneshot\nDelegate=yes\nTimeoutStartSec=infinity\nExecStart=/bin/sh %s/test/v2/stage2.sh systemd\n' "$REPO" > $units/ocits-v2.service
  # The host may be a container (/.dockerenv): systemd would then take the guest
  # for one, ignore the kernel command line and boot the host's default target.
  rm -f /newroot/.dockerenv
  exec switch_root /newroot /lib/systemd/systemd --unit=ocits-v2.target --show-status=0 --log-level=warning
fi
exec switch_root /newroot /bin/sh "$REPO/test/v2/stage2.sh"
