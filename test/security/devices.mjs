// The device cgroup denies by default, before any user code runs and after
// every update, and /dev holds only what the config and the defaults give.
// Checklist rows: devices-deny, devices-update, devices-image-node, dev-contents.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot } from '../lib/bundle.mjs';
import { guardHost } from '../lib/security.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);
const hostUnchanged = guardHost(t);

// /dev/fuse (c 10:229, openable without a capability) is listed as a node but not allowed:
// the node exists, the device cgroup refuses the open. (runc's tests use /dev/kmsg, whose
// read also needs CAP_SYSLOG here: the control could not tell the two apart.)
const kmsg = (c) => { c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]; };
const PROBE = '(exec 3<>/dev/fuse) 2>/dev/null && echo OPENED || echo DENIED';

t.test('devices-deny and devices-update: a listed but not allowed device stays denied, also after updates', async (t) => {
  const f = fixture(t, root, ['sleep', '120'], kmsg);
  t.equal(f.create().status, 0);
  t.equal(f.cli('start', f.id).status, 0);
  t.equal(f.cli('exec', f.id, 'sh', '-c', PROBE).stdout, 'DENIED\n', 'denied');
  for (let i = 0; i < 10; i++) t.equal(f.cli('update', '--pids-limit', String(40 + i), f.id).status, 0, `update ${i}`);
  t.equal(f.cli('exec', f.id, 'sh', '-c', PROBE).stdout, 'DENIED\n', 'still denied after 10 updates');
  // Control: allowed in the cgroup rules, the same probe opens it.
  const g = fixture(t, root, ['sh', '-c', PROBE], (c) => { kmsg(c); c.linux.resources.devices.push({ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }); });
  t.equal(g.run().stdout, 'OPENED\n', 'control: allowed, it opens');
});

t.test('devices-image-node: a block device node baked into the image cannot be opened', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'head -c1 /dev/sda-img >/dev/null 2>&1 && echo OPENED || echo DENIED; (exec 3<>/dev/fuse-img) 2>/dev/null && echo OPENED || echo DENIED'], (c) => {
    c.mounts = c.mounts.filter((m) => !m.destination.startsWith('/dev'));
  });
  // The image's own /dev (no /dev mount): a loop device and fuse, as mknod'd by an attacker.
  t.equal(spawnSync('mknod', [path.join(f.b.rootfs, 'dev/sda-img'), 'b', '7', '0']).status, 0);
  t.equal(spawnSync('mknod', [path.join(f.b.rootfs, 'dev/fuse-img'), 'c', '10', '229']).status, 0);
  const r = f.run();
  t.equal(r.stdout, 'DENIED\nDENIED\n', r.stderr);
});

t.test('dev-contents: /dev is exactly the default set, ptmx a link, devpts a new instance', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'ls -A /dev | tr "\\n" " "; echo; readlink /dev/ptmx; stat -c %t:%T /dev/null; grep " /dev/pts " /proc/self/mountinfo; ls /dev/pts | tr "\\n" " "']);
  const hostPts = fs.readdirSync('/dev/pts').length;
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const [ls, ptmx, nul, pts, ptsList] = r.stdout.split('\n');
  const want = ['console?', 'core', 'fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'];
  const got = ls.trim().split(' ').sort();
  t.same(got.filter((e) => e !== 'core' && e !== 'console'), want.filter((e) => e !== 'core' && e !== 'console?'), `ls -A /dev: ${ls}`);
  t.equal(ptmx, 'pts/ptmx');
  t.equal(nul, '1:3');
  t.match(pts, /ptmxmode=666/);
  t.match(pts, /gid=5/);
  t.equal(ptsList.trim(), 'ptmx', 'the container\'s devpts is its own instance');
  t.equal(fs.readdirSync('/dev/pts').length, hostPts, 'the host\'s /dev/pts is unchanged');
});

hostUnchanged();
