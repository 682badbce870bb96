// /dev inside the container: the default nodes, linux.devices, the standard
// symlinks, /dev/pts and /dev/shm, the device cgroup, and bind-mounted nodes
// in a user namespace.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

const DEFAULTS = { null: '1:3', zero: '1:5', full: '1:7', random: '1:8', urandom: '1:9', tty: '5:0' };
const hex = (mm) => mm.split(':').map((n) => Number(n).toString(16)).join(':');

t.test('the default devices, with their numbers and modes, and usable', async (t) => {
  const names = Object.keys(DEFAULTS).map((n) => `/dev/${n}`).join(' ');
  const f = fixture(t, root, ['sh', '-c', `stat -c "%n %F %t:%T %a %u:%g" ${names}; echo x > /dev/null && echo null-ok; head -c 3 /dev/zero | od -An -tx1; head -c 8 /dev/urandom | wc -c; echo x > /dev/full || echo full-is-full`]);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  for (const [n, mm] of Object.entries(DEFAULTS)) {
    t.ok(lines.includes(`/dev/${n} character special file ${hex(mm)} 666 0:0`), `/dev/${n} is c ${mm} 0666 root`);
  }
  t.ok(lines.includes('null-ok'));
  t.ok(lines.includes(' 00 00 00'), 'zeros from /dev/zero');
  t.ok(lines.includes('8'), '8 bytes from /dev/urandom');
  t.match(r.stderr, /No space left on device/, '/dev/full is full');
});

t.test('linux.devices: custom nodes with type, numbers, mode and owner, allowed by the device cgroup', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'stat -c "%n %F %t:%T %a %u:%g" /dev/mynull /dev/fuse /dev/blk /dev/fifo; echo hi > /dev/mynull && echo mynull-ok'], (c) => {
    c.linux.devices = [
      { path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o662, uid: 1000, gid: 1001 },
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600 },
      { path: '/dev/blk', type: 'b', major: 7, minor: 200, fileMode: 0o660, gid: 6 },
      { path: '/dev/fifo', type: 'p', fileMode: 0o620 },
    ];
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines[0], '/dev/mynull character special file 1:3 662 1000:1001');
  t.equal(lines[1], '/dev/fuse character special file a:e5 600 0:0');
  t.equal(lines[2], '/dev/blk block special file 7:c8 660 0:6');
  t.equal(lines[3], '/dev/fifo fifo 0:0 620 0:0');
  t.equal(lines[4], 'mynull-ok', 'a listed device can be written (mode o+w)');
});

t.test('the device cgroup denies a node that is not allowed', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'head -c 1 /root/fuse-node; echo "rc=$?"; echo x > /dev/null && echo null-ok']);
  spawnSync('mknod', ['-m', '666', path.join(f.b.rootfs, 'root/fuse-node'), 'c', '10', '229']);
  t.ok(fs.statSync(path.join(f.b.rootfs, 'root/fuse-node')).isCharacterDevice(), 'a fuse node in the rootfs');
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'rc=1\nnull-ok\n');
  t.match(r.stderr, /fuse-node: Operation not permitted/);
});

t.test('the standard symlinks', async (t) => {
  const links = ['fd', 'stdin', 'stdout', 'stderr', 'ptmx'];
  const f = fixture(t, root, ['sh', '-c', `for l in ${links.join(' ')}; do echo "$l -> $(readlink /dev/$l)"; done; ls /dev/fd/ | tr "\\n" " "; echo; test -e /dev/core || echo no-core`]);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.same(lines.slice(0, 5), ['fd -> /proc/self/fd', 'stdin -> /proc/self/fd/0', 'stdout -> /proc/self/fd/1', 'stderr -> /proc/self/fd/2', 'ptmx -> pts/ptmx']);
  t.match(lines[5], /^0 1 2 /, '/dev/fd lists the open fds');
  if (!fs.existsSync('/proc/kcore')) t.equal(lines[6], 'no-core', 'no /dev/core when the host has no /proc/kcore');
  else t.equal(lines[6], undefined, '/dev/core exists');
});

t.test('/dev/pts and /dev/shm are mounted and usable', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'grep -E " /dev/(pts|shm|mqueue) " /proc/self/mountinfo | cut -d" " -f5,6 | tr "\\n" ";"; echo; echo data > /dev/shm/f && cat /dev/shm/f; stat -c "%t:%T %a" /dev/pts/ptmx; stat -c "%a" /dev/shm']);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const mounts = Object.fromEntries(lines[0].split(';').filter(Boolean).map((m) => m.split(' ')));
  t.match(mounts['/dev/pts'], /nosuid.*noexec/, '/dev/pts is mounted');
  t.match(mounts['/dev/shm'], /nosuid,nodev,noexec/, '/dev/shm is mounted');
  t.ok(mounts['/dev/mqueue'], '/dev/mqueue is mounted');
  t.equal(lines[1], 'data', '/dev/shm is writable');
  t.equal(lines[2], '5:2 666', '/dev/pts/ptmx is c 5:2, ptmxmode=0666');
  t.equal(lines[3], '1777');
});

t.test('in a user namespace, devices are bind mounts of the host nodes and usable', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'grep -E " /dev/(null|zero|urandom|tty) " /proc/self/mountinfo | cut -d" " -f5 | sort | tr "\\n" " "; echo; echo x > /dev/null && echo null-ok; head -c 2 /dev/zero | od -An -tx1; stat -c "%t:%T" /dev/null'], (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  fs.chmodSync(f.b.dir, 0o755);
  spawnSync('chown', ['-R', '-h', '100000:100000', f.b.rootfs]);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '/dev/null /dev/tty /dev/urandom /dev/zero \nnull-ok\n 00 00\n1:3\n');
  t.same(f.leftovers(), []);
});

t.test('without a /dev mount, links and nodes go into the rootfs, and a second run works', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'readlink /dev/stdout; readlink /dev/ptmx; stat -c "%t:%T" /dev/null'], (c) => {
    c.mounts = c.mounts.filter((m) => !m.destination.startsWith('/dev'));
    c.root.readonly = false;
  });
  // An image's own /dev/ptmx link must be replaced, not followed (and its target unlinked).
  fs.symlinkSync('/etc/passwd', path.join(f.b.rootfs, 'dev/ptmx'));
  const want = '/proc/self/fd/1\npts/ptmx\n1:3\n';
  const r = f.run();
  t.equal(r.stderr, '');
  t.equal(r.stdout, want);
  t.ok(fs.existsSync(path.join(f.b.rootfs, 'etc/passwd')), "the rootfs's /etc/passwd is still there");
  t.equal(fs.readlinkSync(path.join(f.b.rootfs, 'dev/stdout')), '/proc/self/fd/1', 'the link is in the rootfs');
  // The links from the first run are there now; they must not be followed either.
  const again = f.run();
  t.equal(again.stderr, '', 'the second run works');
  t.equal(again.stdout, want);
});

t.test('an invalid device in linux.devices fails cleanly', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.linux.devices = [{ path: 'dev/relative', type: 'c', major: 1, minor: 3 }]; });
  const r = f.run();
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: .*\/linux\/devices\/0\/path.*\n$/);
  t.same(f.leftovers(), []);
});
