import t from 'tap';
import dp from '../../dist/lib/linux/devices-plan.js';

const { planDevices, defaultDevSymlinks, PTMX_SYMLINK, DEVICE_TYPE_BITS, DEFAULT_DEVICES, makedev, S_IFCHR, S_IFBLK, S_IFIFO } = dp;

t.test('constants', async (t) => {
  t.equal(S_IFCHR, 0o020000);
  t.equal(S_IFBLK, 0o060000);
  t.equal(S_IFIFO, 0o010000);
  t.same(DEVICE_TYPE_BITS, { c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 });
  t.same(DEFAULT_DEVICES.map((d) => [d.path, d.major, d.minor]), [
    ['/dev/null', 1, 3], ['/dev/random', 1, 8], ['/dev/full', 1, 7], ['/dev/tty', 5, 0], ['/dev/zero', 1, 5], ['/dev/urandom', 1, 9],
  ]);
  t.equal(makedev(1, 3), 0x103n);
  t.equal(makedev(5, 0), 0x500n);
  t.equal(makedev(259, 65536), 0x10010300n);
  t.equal(makedev(0x1234, 0x56789), (0x1000n << 32n) | (0x234n << 8n) | (0x567n << 20n) | 0x89n);
});

t.test('defaults only', async (t) => {
  const d = planDevices(undefined, { userns: false });
  t.same(d[0], { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o20666, uid: 0, gid: 0, method: 'mknod' });
  t.same(d.map((x) => x.path), ['/dev/null', '/dev/random', '/dev/full', '/dev/tty', '/dev/zero', '/dev/urandom'], "runc's order");
  t.ok(d.every((x) => x.mode === 0o20666 && x.method === 'mknod'));
  t.ok(planDevices([], { userns: true }).every((x) => x.method === 'bind'));
});

t.test('config devices merge', async (t) => {
  const d = planDevices([
    { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 },
    { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o620, uid: 5, gid: 6 },
    { path: '/dev/sda', type: 'b', major: 8, minor: 0 },
    { path: '/dev/fifo', type: 'p', fileMode: 0o020600 },
    { path: '/dev//kmsg/', type: 'u', major: 1, minor: 11, fileMode: 0o644 },
  ], { userns: true });
  t.same(d.map((x) => x.path), ['/dev/random', '/dev/full', '/dev/tty', '/dev/zero', '/dev/urandom', '/dev/fuse', '/dev/null', '/dev/sda', '/dev/fifo', '/dev/kmsg'], 'defaults the config does not list, then the config, in order (runc)');
  t.same(d[6], { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o20620, uid: 5, gid: 6, method: 'bind' });
  t.same(d[5], { path: '/dev/fuse', type: 'c', major: 10, minor: 229, mode: 0o20666, uid: 0, gid: 0, method: 'bind' });
  t.same(d[7], { path: '/dev/sda', type: 'b', major: 8, minor: 0, mode: 0o60666, uid: 0, gid: 0, method: 'bind' });
  t.same(d[8], { path: '/dev/fifo', type: 'p', major: 0, minor: 0, mode: 0o10600, uid: 0, gid: 0, method: 'mknod' });
  t.same(d[9], { path: '/dev/kmsg', type: 'u', major: 1, minor: 11, mode: 0o20644, uid: 0, gid: 0, method: 'bind' });
  const dup = planDevices([{ path: '/dev/a', type: 'c', major: 1, minor: 1 }, { path: '/dev/a', type: 'c', major: 2, minor: 2 }], { userns: false });
  t.equal(dup.length, 7);
  t.equal(dup[6].major, 2);
  t.equal(dup[6].method, 'mknod');
});

t.test('errors', async (t) => {
  const e = (dev, msg) => t.throws(() => planDevices([{ path: '/dev/ok', type: 'p' }, dev], { userns: false }), { message: msg });
  e({ path: 'dev/x', type: 'c', major: 1, minor: 1 }, '/linux/devices/1/path: device path must be absolute, got "dev/x"');
  e({ path: '/dev/', type: 'c', major: 1, minor: 1 }, '/linux/devices/1/path: "/dev/" is not a valid device path');
  e({ path: '/dev/x', type: 'z', major: 1, minor: 1 }, '/linux/devices/1/type: unknown device type "z" (expected c, b, u or p)');
  e({ path: '/dev/x', type: 'c', minor: 1 }, '/linux/devices/1/major: required for device type "c"');
  e({ path: '/dev/x', type: 'b', major: 1 }, '/linux/devices/1/minor: required for device type "b"');
  e({ path: '/dev/x', type: 'c', major: -1, minor: 1 }, '/linux/devices/1/major: expected an integer in 0..4294967295, got -1');
  e({ path: '/dev/x', type: 'c', major: 1, minor: 1, uid: 1.5 }, '/linux/devices/1/uid: expected an integer in 0..4294967295, got 1.5');
});

t.test('symlinks', async (t) => {
  t.same(defaultDevSymlinks({ procKcoreExists: false }), [
    { path: '/dev/fd', target: '/proc/self/fd' },
    { path: '/dev/stdin', target: '/proc/self/fd/0' },
    { path: '/dev/stdout', target: '/proc/self/fd/1' },
    { path: '/dev/stderr', target: '/proc/self/fd/2' },
  ]);
  const withCore = defaultDevSymlinks({ procKcoreExists: true });
  t.equal(withCore.length, 5);
  t.same(withCore[4], { path: '/dev/core', target: '/proc/kcore' });
  t.same(PTMX_SYMLINK, { path: '/dev/ptmx', target: 'pts/ptmx' });
});
