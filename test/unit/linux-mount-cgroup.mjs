import t from 'tap';
import cm from '../../dist/lib/linux/cgroup-mount.js';
import mi from '../../dist/lib/linux/mount-info.js';
import mp from '../../dist/lib/linux/mount-plan.js';
import mo from '../../dist/lib/linux/mount-options.js';

const { planCgroupMount } = cm;
const { MS_BIND, MS_REMOUNT, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RELATIME } = mo;
const FIXED = MS_NOSUID | MS_NODEV | MS_NOEXEC;
const opts = { rootfs: '/b/rootfs', userns: false, bundle: '/b' };
const cgroupOp = (options, type = 'cgroup') => mp.planMounts([{ destination: '/sys/fs/cgroup', type, source: 'cgroup', options }], opts)[0];

const HYBRID = mi.cgroupHierarchies(mi.parseMountInfo([
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu,cpuacct',
  '33 31 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,xattr,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw',
].join('\n')));
const SELF = '12:cpu,cpuacct:/pod/c1\n5:memory:/pod/c1\n1:name=systemd:/pod/c1\n0::/pod/c1\n';
const V2 = mi.cgroupHierarchies(mi.parseMountInfo('31 23 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n'));

t.test('v1 without a cgroup namespace: rw tmpfs, a bind of the own cgroup per v1 hierarchy remounted with the flags, no unified', async (t) => {
  const op = cgroupOp(['nosuid', 'noexec', 'nodev', 'relatime', 'ro']);
  const flags = MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY;
  t.same(planCgroupMount(op, { hierarchies: HYBRID, selfCgroup: SELF, cgroupNs: false }), [
    { kind: 'tmpfs', name: '', flags: FIXED, data: 'mode=755' },
    { kind: 'bind', name: 'cpu,cpuacct', source: '/sys/fs/cgroup/cpu,cpuacct/pod/c1', remount: flags | MS_BIND | MS_REMOUNT },
    { kind: 'symlink', name: 'cpu', target: 'cpu,cpuacct' },
    { kind: 'symlink', name: 'cpuacct', target: 'cpu,cpuacct' },
    { kind: 'bind', name: 'memory', source: '/sys/fs/cgroup/memory/pod/c1', remount: flags | MS_BIND | MS_REMOUNT },
    { kind: 'bind', name: 'systemd', source: '/sys/fs/cgroup/systemd/pod/c1', remount: flags | MS_BIND | MS_REMOUNT },
  ]);
});

t.test('"rw" (privileged configs): the binds stay read-write', async (t) => {
  const steps = planCgroupMount(cgroupOp(['nosuid', 'noexec', 'nodev', 'relatime', 'rw']), { hierarchies: HYBRID, selfCgroup: SELF, cgroupNs: false });
  t.ok(steps.filter((s) => s.kind === 'bind').every((s) => (s.remount & MS_RDONLY) === 0));
  t.same(steps[0], { kind: 'tmpfs', name: '', flags: FIXED, data: 'mode=755' });
});

t.test('v1 with a cgroup namespace: new cgroup mounts (systemd as source "systemd"), the own cgroup as fallback', async (t) => {
  const steps = planCgroupMount(cgroupOp(['nosuid', 'noexec', 'nodev', 'relatime', 'ro']), { hierarchies: HYBRID, selfCgroup: SELF, cgroupNs: true });
  const fsSteps = steps.filter((s) => s.kind === 'fs');
  t.same(fsSteps.map((s) => [s.name, s.source, s.fstype, s.flags, s.data]), [
    ['cpu,cpuacct', 'cgroup', 'cgroup', FIXED | MS_RDONLY, 'cpu,cpuacct'],
    ['memory', 'cgroup', 'cgroup', FIXED | MS_RDONLY, 'memory'],
    ['systemd', 'systemd', 'cgroup', FIXED | MS_RDONLY, 'name=systemd'],
  ]);
  t.same(fsSteps.map((s) => s.fallback.source), ['/sys/fs/cgroup/cpu,cpuacct/pod/c1', '/sys/fs/cgroup/memory/pod/c1', '/sys/fs/cgroup/systemd/pod/c1']);
});

t.test('own cgroup relative to the hierarchy mount root (a nested host)', async (t) => {
  const nested = mi.cgroupHierarchies(mi.parseMountInfo('33 31 0:30 /pod /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n'));
  const steps = planCgroupMount(cgroupOp(['ro']), { hierarchies: nested, selfCgroup: '5:memory:/pod/c1\n', cgroupNs: false });
  t.equal(steps[1].source, '/sys/fs/cgroup/memory/c1');
});

t.test('cgroup v2 host: one cgroup2 mount with the config flags; a bind of the hierarchy if the kernel refuses', async (t) => {
  const op = cgroupOp(['nosuid', 'noexec', 'nodev', 'relatime', 'ro']);
  const flags = MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY;
  t.same(planCgroupMount(op, { hierarchies: V2, selfCgroup: '0::/pod/c1\n', cgroupNs: false }), [
    { kind: 'fs', name: '', source: 'cgroup', fstype: 'cgroup2', flags, data: null, fallback: { kind: 'bind', name: '', source: '/sys/fs/cgroup', remount: flags | MS_BIND | MS_REMOUNT } },
  ]);
  const ns = planCgroupMount(op, { hierarchies: V2, selfCgroup: '0::/pod/c1\n', cgroupNs: true });
  t.equal(ns[0].fallback.source, '/sys/fs/cgroup/pod/c1', 'with a cgroup namespace: the own cgroup');
  const rw = planCgroupMount(cgroupOp(['rw']), { hierarchies: V2, selfCgroup: '0::/\n', cgroupNs: false });
  t.equal(rw[0].flags & MS_RDONLY, 0);
  t.equal(rw[0].fallback.remount, null, 'nothing to remount');
});

t.test('type cgroup2 on a hybrid host: the cgroup2 hierarchy', async (t) => {
  const steps = planCgroupMount(cgroupOp(['ro'], 'cgroup2'), { hierarchies: HYBRID, selfCgroup: SELF, cgroupNs: false });
  t.equal(steps.length, 1);
  t.equal(steps[0].fstype, 'cgroup2');
  t.equal(steps[0].fallback.source, '/sys/fs/cgroup/unified');
});

t.test('a hierarchy mounted twice (CRIU cgroup yard) counts once, at its first mount', async (t) => {
  const hs = mi.cgroupHierarchies(mi.parseMountInfo([
    '36 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
    '90 27 0:36 / /tmp/cr/.criu.cgyard.X/pids rw - cgroup cgroup rw,pids',
    '91 27 0:37 / /tmp/cr/.criu.cgyard.X/systemd rw - cgroup cgroup rw,name=systemd',
    '92 27 0:38 / /tmp/cr/.criu.cgyard.X/unified rw - cgroup2 cgroup2 rw',
  ].join('\n')));
  t.same(hs.map((h) => h.mountpoint), ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']);
});
