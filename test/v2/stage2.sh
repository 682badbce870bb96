#!/bin/sh
# Stage 2 of the cgroup v2 guest, pid 1 on the host's own root filesystem (shared
# read-only, writes go to a tmpfs overlay): set up a pure cgroup v2 host the way
# systemd would (cgroup2 at /sys/fs/cgroup with every controller delegated from
# the root, pid 1 in init.scope, / shared), then run each test file of the job
# with node (the tap runner costs minutes under emulation) and power off.
# Results go to /v2job (a writable 9p share of the host's job directory).
# pid 1 is this shell: it reaps the orphans (detached container inits) while it
# waits for each test. With "systemd" as $1 it is a service of systemd, which
# set all that up itself (see init.sh).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
out=/v2job
set -a; . $out/job.env; set +a
finish() { sync; echo o > /proc/sysrq-trigger; sleep 30; }
exec > $out/stage2.log 2>&1
mode=${1:-init}
set -x
# TMPDIR, where the tests make their bundles: not nodev (rootfs device nodes are opened).
mkdir -p /v2tmp && mount -t tmpfs -o mode=1777 tmpfs /v2tmp
if [ "$mode" = init ]; then
  mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup || finish
  for c in $(cat /sys/fs/cgroup/cgroup.controllers); do echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control; done
  mkdir /sys/fs/cgroup/init.scope && echo $$ > /sys/fs/cgroup/init.scope/cgroup.procs
  mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
  mkdir -p /run/lock /dev/pts /dev/shm /dev/mqueue
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts /dev/pts
  ln -sf pts/ptmx /dev/ptmx
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
  mount -t mqueue mqueue /dev/mqueue
  mount -t bpf bpf /sys/fs/bpf
  mount --make-rshared /
  hostname v2guest
  ip link set lo up
fi
set +x
{
  echo "kernel $(uname -r)"
  echo "init $mode $(cat /proc/1/comm)"
  echo "cgroup.controllers $(cat /sys/fs/cgroup/cgroup.controllers)"
  echo "cgroup.subtree_control $(cat /sys/fs/cgroup/cgroup.subtree_control)"
  echo "self $(cat /proc/self/cgroup)"
  grep -E ' - (cgroup|cgroup2) ' /proc/self/mountinfo | sed 's/^/mount /'
} > $out/guest.txt

cd "$REPO" || finish
export HOME=/root TMPDIR=/v2tmp TAP_TIMEOUT=0 OCITS_V2_GUEST=1
# The V8 start-up snapshot records the CPU features of the machine that built
# it; the emulated CPU's differ, so node refuses the host's dist/ocits.blob.
# Rebuild it from the same dist/ocits-snapshot.js (into the overlay).
if ! ./bin/ocits --version > /dev/null 2>&1; then
  echo "snapshot rebuilt for the emulated CPU" >> $out/guest.txt
  rm -f dist/ocits.blob
  node --single-threaded --v8-pool-size=0 --no-warnings --snapshot-blob dist/ocits.blob --build-snapshot dist/ocits-snapshot.js
fi
./bin/ocits --version >> $out/guest.txt 2>&1

for f in $FILES; do
  name=$(echo "$f" | sed 's/[^A-Za-z0-9_.-]/_/g')
  start=$(date +%s)
  timeout -s KILL "${FILE_TIMEOUT:-900}" node "$f" > "$out/$name.tap" 2>&1
  echo $? > "$out/$name.status"
  echo "$f: exit $(cat "$out/$name.status") in $(( $(date +%s) - start ))s"
done
echo ok > $out/done
finish
