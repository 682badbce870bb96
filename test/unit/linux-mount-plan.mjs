import t from 'tap';
import mp from '../../dist/lib/linux/mount-plan.js';
import mo from '../../dist/lib/linux/mount-options.js';

const { planMounts } = mp;
const { MS_BIND, MS_REC, MS_REMOUNT, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_STRICTATIME, MS_PRIVATE, MS_SLAVE, MS_RELATIME } = mo;
const opts = { rootfs: '/b/rootfs', userns: false, bundle: '/b' };

t.test('default runc spec mounts', async (t) => {
  const ops = planMounts([
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ], opts);
  const common = { clearedFlags: 0, propagation: [], recAttrSet: 0, recAttrClr: 0, destIsFile: false };
  t.same(ops, [
    { kind: 'mount', index: 0, destination: '/proc', type: 'proc', source: 'proc', flags: 0, data: '', ...common },
    { kind: 'mount', index: 1, destination: '/dev', type: 'tmpfs', source: 'tmpfs', flags: MS_NOSUID | MS_STRICTATIME, data: 'mode=755,size=65536k', ...common },
    { kind: 'mount', index: 2, destination: '/dev/pts', type: 'devpts', source: 'devpts', flags: MS_NOSUID | MS_NOEXEC, data: 'newinstance,ptmxmode=0666,mode=0620,gid=5', ...common },
    { kind: 'mount', index: 3, destination: '/sys', type: 'sysfs', source: 'sysfs', flags: MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, data: '', ...common },
    { kind: 'cgroup', index: 4, destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', flags: MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY, data: '', readonly: true, preserveLockedFlags: false, ...common },
  ]);
});

t.test('bind mounts', async (t) => {
  const [a, b, c, d] = planMounts([
    { destination: '/data', type: 'bind', source: '/host/data', options: ['rbind', 'ro', 'rprivate'] },
    { destination: '/etc/resolv.conf', source: 'resolv.conf', options: ['bind'] },
    { destination: '/x', type: 'none', source: '../other/./x', options: ['rbind', 'rw', 'nosuid', 'rslave'] },
    { destination: '/y', type: 'bind', source: '/y' },
  ], { ...opts, userns: true });
  t.same(a, {
    kind: 'bind', index: 0, destination: '/data', source: '/host/data', recursive: true,
    flags: MS_BIND | MS_REC | MS_RDONLY, clearedFlags: 0, data: '',
    remount: MS_BIND | MS_REMOUNT | MS_RDONLY, preserveLockedFlags: true,
    propagation: [MS_PRIVATE | MS_REC], recAttrSet: 0, recAttrClr: 0, destIsFile: 'from-source',
  });
  t.equal(b.kind, 'bind');
  t.equal(b.source, '/b/resolv.conf');
  t.equal(b.recursive, false);
  t.equal(b.flags, MS_BIND);
  t.equal(b.remount, null);
  t.equal(b.destIsFile, 'from-source');
  t.equal(c.source, '/other/x');
  t.equal(c.remount, MS_BIND | MS_REMOUNT | MS_NOSUID);
  t.equal(c.clearedFlags, MS_RDONLY);
  t.same(c.propagation, [MS_SLAVE | MS_REC]);
  t.equal(d.flags, MS_BIND, 'type bind alone is a non-recursive bind');
  t.equal(d.recursive, false);
  t.equal(d.idmap, undefined);
});

t.test('recursive attrs and idmap', async (t) => {
  const maps = { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] };
  const [a, b, c] = planMounts([
    { destination: '/a', type: 'bind', source: '/a', options: ['rbind', 'rro', 'rnoatime'] },
    { destination: '/b', type: 'bind', source: '/b', options: ['rbind', 'ridmap'] },
    { destination: '/c', type: 'bind', source: '/c', options: ['bind'], ...maps },
  ], { ...opts, userns: true });
  t.equal(a.recAttrSet, 0x1 | 0x10);
  t.equal(a.recAttrClr, 0x70);
  t.equal(a.remount, null);
  t.same(b.idmap, { recursive: true });
  t.same(c.idmap, { recursive: false, ...maps });
});

t.test('destination normalisation', async (t) => {
  const warnings = [];
  const [a, b] = planMounts([
    { destination: 'tmp//x/', type: 'tmpfs' },
    { destination: '/a/../../b', type: 'tmpfs', source: 'shm', options: ['tmpcopyup'] },
  ], { ...opts, onWarning: (w) => warnings.push(w) });
  t.equal(a.destination, '/tmp/x');
  t.equal(a.source, 'tmpfs');
  t.equal(b.destination, '/b');
  t.equal(b.source, 'shm');
  t.equal(b.tmpcopyup, true);
  t.same(warnings, ['/mounts/0/destination: "tmp//x/" is not absolute; treating it as relative to /']);
  t.same(planMounts(undefined, opts), []);
});

t.test('errors', async (t) => {
  const e = (m, re) => t.throws(() => planMounts([{ destination: '/ok', type: 'tmpfs' }, m], opts), { message: re });
  e({ destination: '/x', type: 'bind' }, '/mounts/1/source: bind mount requires a source');
  e({ destination: '/x', options: ['rbind'], source: '' }, '/mounts/1/source: bind mount requires a source');
  e({ destination: '', type: 'tmpfs' }, '/mounts/1/destination: mount destination is required');
  e({ type: 'tmpfs' }, '/mounts/1/destination: mount destination is required');
  e({ destination: '/x', source: 'x' }, '/mounts/1/type: mount type is required unless the mount is a bind mount');
  e({ destination: '/x', type: 'tmpfs', options: ['idmap'] }, '/mounts/1/options: idmap/ridmap are only supported on bind mounts');
  e({ destination: '/x', type: 'proc', options: ['tmpcopyup'] }, '/mounts/1/options: tmpcopyup is only supported on tmpfs mounts');
  e({ destination: '/x', type: 'bind', source: '/x', uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] },
    '/mounts/1/gidMappings: uidMappings and gidMappings must be given together');
  e({ destination: '/x', type: 'bind', source: '/x', uidMappings: [], gidMappings: [] },
    '/mounts/1/uidMappings: must be a non-empty list of mappings');
  e({ destination: '/x', type: 'bind', source: '/x', uidMappings: [{ containerID: 0, hostID: -1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] },
    '/mounts/1/uidMappings/0/hostID: expected an unsigned 32-bit integer');
  e({ destination: '/x', type: 'tmpfs', options: 'ro' }, '/mounts/1/options: must be a list of strings');
  e({ destination: '/x', type: 'bind', source: '/x', options: ['bind', 'idmap'] },
    "/mounts/1/options: idmap/ridmap without uidMappings/gidMappings takes the container's user namespace mappings, but the container has no user namespace");
  e({ destination: '/x', type: 'tmpfs', uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] },
    '/mounts/1/uidMappings: ID-mapped mounts are only supported on bind mounts');
});
