import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import cg from '../../dist/lib/cgroups/index.js';
import { makeTree, read, populate, V1_FILES } from '../fixtures/cgroups/fixture.mjs';

const { cgroupManager, cgroupManagerFromPaths, CgroupError } = cg;
const V1_DIRS = ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd'];

function setup(t, kind, opts = {}) {
  const root = t.testdir({});
  const tree = makeTree(root, kind);
  const m = cgroupManager({ id: 'abc', cgroupsPath: '/ocits/abc', root, mountinfo: tree.mountinfo, onMkdir: tree.onMkdir, ...opts });
  return { root, tree, m, f: (...p) => read(path.join(root, ...p)).trim() };
}

const v1Resources = {
  memory: { limit: 268435456, reservation: 134217728, swap: 536870912, swappiness: 0, disableOOMKiller: true },
  cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1', mems: '0' },
  pids: { limit: 64 },
  blockIO: { weight: 300, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }] },
  devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
};

t.test('v1 fixture: create, apply, join, pids, freeze, stats, destroy', async (t) => {
  const { root, m, f } = setup(t, 'v1');
  t.equal(m.layout, 'v1');
  m.create();
  for (const h of V1_DIRS) t.ok(fs.statSync(path.join(root, h, 'ocits/abc')).isDirectory(), `${h}/ocits/abc`);
  t.same(m.paths(), V1_DIRS.flatMap((h) => [
    { path: path.join(root, h, 'ocits'), owned: true }, { path: path.join(root, h, 'ocits/abc'), owned: true }]));
  // New cpuset directories got their parent's cpus/mems, level by level.
  t.equal(f('cpuset/ocits/cpuset.cpus'), '0-3');
  t.equal(f('cpuset/ocits/abc/cpuset.mems'), '0');

  m.apply(v1Resources);
  const d = (h, file) => f(h, 'ocits/abc', file);
  t.equal(d('memory', 'memory.limit_in_bytes'), '268435456');
  t.equal(d('memory', 'memory.soft_limit_in_bytes'), '134217728');
  t.equal(d('memory', 'memory.memsw.limit_in_bytes'), '536870912');
  t.equal(d('memory', 'memory.swappiness'), '0');
  t.equal(d('memory', 'memory.oom_control'), '1');
  t.equal(d('cpu,cpuacct', 'cpu.shares'), '512');
  t.equal(d('cpu,cpuacct', 'cpu.cfs_quota_us'), '50000');
  t.equal(d('cpu,cpuacct', 'cpu.cfs_period_us'), '100000');
  t.equal(d('cpuset', 'cpuset.cpus'), '0-1');
  t.equal(d('pids', 'pids.max'), '64');
  t.equal(d('blkio', 'blkio.weight'), '300');
  t.equal(d('blkio', 'blkio.throttle.read_bps_device'), '8:0 1000');
  t.equal(d('devices', 'devices.deny'), 'a *:* rwm');
  t.equal(d('devices', 'devices.allow'), 'c 1:3 rwm');

  m.join(4242);
  for (const h of V1_DIRS) t.equal(d(h, 'cgroup.procs'), '4242', `${h} cgroup.procs`);
  fs.mkdirSync(path.join(root, 'pids/ocits/abc/sub'));
  fs.writeFileSync(path.join(root, 'pids/ocits/abc/sub/cgroup.procs'), '4243\n4242\n');
  t.same(m.pids(), [4242, 4243], 'pids of the subtree, once each');

  t.equal(m.isFrozen(), false);
  m.freeze();
  t.equal(d('freezer', 'freezer.state'), 'FROZEN');
  t.equal(m.isFrozen(), true);
  m.thaw();
  t.equal(d('freezer', 'freezer.state'), 'THAWED');

  const s = m.stats();
  t.equal(s.type, 'stats');
  t.equal(s.id, 'abc');
  t.same(s.data.cpu.usage, { total: 123456789, percpu: [100000000, 23456789], kernel: 30000000, user: 70000000 });
  t.same(s.data.cpu.throttling, { periods: 10, throttled_periods: 2, throttled_time: 3000 });
  t.equal(s.data.memory.usage.usage, 4096);
  t.equal(s.data.memory.usage.limit, 268435456);
  t.equal(s.data.memory.cache, 1024);
  t.equal(s.data.memory.kernelTCP.limit, 9223372036854771712n, 'an unlimited v1 limit stays exact (bigint)');
  t.same(s.data.memory.raw, { cache: 1024, rss: 2048 });
  t.same(s.data.pids, { current: 3, limit: 64 });
  t.same(s.data.blkio.ioServiceBytesRecursive, [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 512 }]);

  m.destroy();
  for (const h of V1_DIRS) t.notOk(fs.existsSync(path.join(root, h, 'ocits')), `${h}/ocits removed`);
  t.ok(fs.existsSync(path.join(root, 'memory', 'memory.limit_in_bytes')), 'hierarchy roots stay');
});

t.test('v1: joined directories are never removed; a shared parent stays', async (t) => {
  const root = t.testdir({});
  const tree = makeTree(root, 'v1');
  populate(path.join(root, 'memory/ocits/abc'), V1_FILES.memory);
  populate(path.join(root, 'pids/ocits/other'), V1_FILES.pids);
  const m = cgroupManager({ id: 'abc', cgroupsPath: '/ocits/abc', root, mountinfo: tree.mountinfo, onMkdir: tree.onMkdir });
  m.create();
  const p = m.paths();
  t.same(p.filter((x) => x.path.includes('/memory/')), [{ path: path.join(root, 'memory/ocits/abc'), owned: false }]);
  t.same(p.filter((x) => x.path.includes('/pids/')), [{ path: path.join(root, 'pids/ocits/abc'), owned: true }]);
  m.destroy();
  t.ok(fs.existsSync(path.join(root, 'memory/ocits/abc')), 'joined leaf kept');
  t.notOk(fs.existsSync(path.join(root, 'pids/ocits/abc')), 'owned leaf removed');
  t.ok(fs.existsSync(path.join(root, 'pids/ocits/other')), 'the other container is untouched');
  t.notOk(fs.existsSync(path.join(root, 'cpuset/ocits')), 'owned parent removed where empty');
});

t.test('a failed apply names the field; destroy then leaves nothing behind', async (t) => {
  const { root, m } = setup(t, 'v1');
  m.create();
  t.throws(() => m.apply({ cpu: { shares: 1 } }), { name: 'CgroupError', field: 'linux.resources.cpu.shares' });
  t.throws(() => m.apply({ rdma: { mlx: { hcaHandles: 1 } } }), /rdma controller is not mounted/);
  // A kernel-side refusal: the control file is missing.
  fs.rmSync(path.join(root, 'pids/ocits/abc/pids.max'));
  t.throws(() => m.apply({ pids: { limit: 3 } }), /^linux\.resources\.pids\.limit: cannot write "3" to .*pids\.max: no such control file/);
  m.destroy();
  for (const h of V1_DIRS) t.same(fs.readdirSync(path.join(root, h)).filter((x) => !x.includes('.')), [], `${h} clean`);
});

t.test('a failed create removes what it made', async (t) => {
  const root = t.testdir({});
  const tree = makeTree(root, 'v1');
  fs.rmSync(path.join(root, 'pids'), { recursive: true });
  const m = cgroupManager({ id: 'abc', root, mountinfo: tree.mountinfo, onMkdir: tree.onMkdir });
  t.throws(() => m.create(), CgroupError);
  t.notOk(fs.existsSync(path.join(root, 'memory/ocits')));
  t.notOk(fs.existsSync(path.join(root, 'cpu,cpuacct/ocits')));
});

t.test('reopening from the recorded paths', async (t) => {
  const { root, tree, m } = setup(t, 'v1');
  m.create();
  m.join(77);
  const rec = JSON.parse(JSON.stringify(m.paths()));
  const again = cgroupManagerFromPaths(rec, { root, mountinfo: tree.mountinfo, id: 'abc' });
  t.same(again.paths(), rec);
  t.same(again.pids(), [77]);
  again.freeze();
  t.equal(m.isFrozen(), true);
  again.apply({ pids: { limit: 5 } });
  t.equal(read(path.join(root, 'pids/ocits/abc/pids.max')), '5');
  again.destroy();
  t.notOk(fs.existsSync(path.join(root, 'memory/ocits')));
  t.throws(() => cgroupManagerFromPaths([{ path: '/nowhere/x', owned: true }], { root, mountinfo: tree.mountinfo }), /not in any mounted cgroup hierarchy/);
});

t.test('relative and systemd paths land where expected', async (t) => {
  const rel = setup(t, 'v1', { cgroupsPath: 'pod/ctr', selfCgroup: '4:memory:/process_api/x\n8:pids:/\n0::/\n' });
  rel.m.create();
  t.ok(fs.existsSync(path.join(rel.root, 'memory/process_api/x/pod/ctr')));
  t.ok(fs.existsSync(path.join(rel.root, 'pids/pod/ctr')));
  rel.m.destroy();
  t.notOk(fs.existsSync(path.join(rel.root, 'memory/process_api')));
  const sd = setup(t, 'v1', { systemd: true, cgroupsPath: 'system.slice:ocits:abc' });
  sd.m.create();
  t.ok(fs.existsSync(path.join(sd.root, 'memory/system.slice/ocits-abc.scope')));
  t.throws(() => setup(t, 'v1', { cgroupsPath: '/../../x' }), /^linux\.cgroupsPath: /);
});

t.test('v2: a relative path (or none) goes under the parent of the own cgroup, as runc\'s fs2', async (t) => {
  // The own cgroup (a service, a session scope) has processes: no controller could be enabled for its child.
  const none = setup(t, 'v2', { cgroupsPath: undefined, selfCgroup: '0::/system.slice/tests.service\n' });
  t.same(none.m.paths().map((p) => p.path), [path.join(none.root, 'system.slice/abc')]);
  const rel = setup(t, 'v2', { cgroupsPath: 'pod/ctr', selfCgroup: '0::/init.scope\n' });
  t.same(rel.m.paths().map((p) => p.path), [path.join(rel.root, 'pod/ctr')]);
  const atRoot = setup(t, 'v2', { cgroupsPath: undefined, selfCgroup: '0::/\n' });
  t.same(atRoot.m.paths().map((p) => p.path), [path.join(atRoot.root, 'abc')], 'from the root cgroup: under the root');
  const abs = setup(t, 'v2', { cgroupsPath: '/a/b', selfCgroup: '0::/init.scope\n' });
  t.same(abs.m.paths().map((p) => p.path), [path.join(abs.root, 'a/b')], 'absolute paths are unchanged');
});

t.test('v2 fixture', async (t) => {
  const { root, m, f } = setup(t, 'v2');
  t.equal(m.layout, 'v2');
  m.create();
  t.same(m.paths(), [{ path: path.join(root, 'ocits'), owned: true }, { path: path.join(root, 'ocits/abc'), owned: true }]);
  const all = '+cpuset +cpu +io +memory +hugetlb +pids +rdma';
  t.equal(f('cgroup.subtree_control'), all, 'root delegates its controllers');
  t.equal(f('ocits/cgroup.subtree_control'), all, 'so does the intermediate directory');
  t.equal(f('ocits/abc/cgroup.subtree_control'), '', 'not the container itself');
  m.apply({
    memory: { limit: 1000000, swap: 3000000, reservation: 10 },
    cpu: { shares: 1024, quota: 20000, cpus: '0' },
    pids: { limit: -1 },
    blockIO: { weight: 1000, throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 9 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }],
    unified: { 'memory.high': '900000' },
  });
  const d = (file) => f('ocits/abc', file);
  t.equal(d('memory.max'), '1000000');
  t.equal(d('memory.swap.max'), '2000000');
  t.equal(d('memory.low'), '10');
  t.equal(d('memory.high'), '900000');
  t.equal(d('cpu.weight'), '39');
  t.equal(d('cpu.max'), '20000 100000');
  t.equal(d('cpuset.cpus'), '0');
  t.equal(d('pids.max'), 'max');
  t.equal(d('io.weight'), '10000');
  t.equal(d('io.max'), '8:0 wiops=9');
  t.equal(d('hugetlb.2MB.max'), '2097152');
  t.equal(d('hugetlb.2MB.rsvd.max'), '2097152');
  // The device program needs a real cgroup2 directory: on the fixture the kernel refuses it, named by field.
  t.throws(() => m.apply({ devices: [{ allow: false }] }), /^linux\.resources\.devices: cannot attach the device program/);
  m.join(99);
  t.same(m.pids(), [99]);
  m.freeze();
  t.equal(d('cgroup.freeze'), '1');
  t.equal(m.isFrozen(), true);
  m.thaw();
  t.equal(m.isFrozen(), false);
  const s = m.stats();
  t.same(s.data.cpu, { usage: { total: 2000000, kernel: 500000, user: 1500000 }, throttling: { periods: 4, throttled_periods: 1, throttled_time: 70000 } });
  t.equal(s.data.memory.cache, 1024);
  t.same(s.data.memory.swap, { usage: 4096, limit: 3000000 });
  t.same(s.data.pids, { current: 2, limit: 0 });
  t.same(s.data.blkio.ioServicedRecursive, [{ major: 8, minor: 0, op: 'Read', value: 2 }, { major: 8, minor: 0, op: 'Write', value: 1 }]);
  t.same(s.data.hugetlb['2MB'], { usage: 0 });
  t.throws(() => m.apply({ network: { classID: 1 } }), /net_cls controller does not exist on cgroup v2/);
  m.destroy();
  t.same(fs.readdirSync(root).filter((x) => !x.includes('.')), []);
});

t.test('hybrid fixture: v1 controllers, hugetlb and unified in the cgroup2 hierarchy', async (t) => {
  const { root, m, f } = setup(t, 'hybrid');
  t.equal(m.layout, 'hybrid');
  m.create();
  t.equal(m.paths().length, 18);
  t.equal(f('unified/cgroup.subtree_control'), '', 'create leaves the shared cgroup2 tree alone');
  m.apply({ memory: { limit: 4096 } });
  t.equal(f('unified/cgroup.subtree_control'), '', 'so does an apply that needs nothing there');
  m.apply({ memory: { limit: 4096 }, hugepageLimits: [{ pageSize: '2MB', limit: 0 }], unified: { 'hugetlb.1GB.max': '0' } });
  t.equal(f('unified/cgroup.subtree_control'), '+hugetlb', 'hugetlb delegated from the top');
  t.equal(f('unified/ocits/cgroup.subtree_control'), '+hugetlb', 'and by the intermediate directory');
  t.equal(f('memory/ocits/abc/memory.limit_in_bytes'), '4096');
  t.equal(f('unified/ocits/abc/hugetlb.2MB.max'), '0');
  t.equal(f('unified/ocits/abc/hugetlb.1GB.max'), '0');
  t.throws(() => m.apply({ unified: { 'memory.max': '1' } }), /bound to a v1 hierarchy/);
  m.join(5);
  t.equal(f('unified/ocits/abc/cgroup.procs'), '5');
  m.freeze();
  t.equal(f('freezer/ocits/abc/freezer.state'), 'FROZEN', 'the v1 freezer is used');
  t.equal(f('unified/ocits/abc/cgroup.freeze'), '0');
  m.destroy();
  t.notOk(fs.existsSync(path.join(root, 'unified/ocits')));
});

t.test('pure v1 refuses unified and a missing freezer', async (t) => {
  const root = t.testdir({});
  const tree = makeTree(root, 'v1');
  const mi = tree.mountinfo.split('\n').filter((l) => !l.includes('freezer')).join('\n');
  const m = cgroupManager({ id: 'x', root, mountinfo: mi, onMkdir: tree.onMkdir });
  m.create();
  t.throws(() => m.apply({ unified: { 'memory.high': '1' } }), /^linux\.resources\.unified: cannot be applied/);
  t.throws(() => m.freeze(), /freezer controller is not mounted/);
  m.destroy();
});

t.test('beforeMkdir notes each missing directory before it is made (a create killed right after the mkdir still has it noted)', async (t) => {
  const noted = [];
  const { m, tree } = setup(t, 'v1', { beforeMkdir: (d) => noted.push([d, fs.existsSync(d)]) });
  m.create();
  t.ok(noted.length > 0, 'directories were noted');
  t.same(noted.filter(([, existed]) => existed), [], 'none existed yet when noted');
  t.same(noted.map(([d]) => d), tree.made, 'exactly the directories made, in order');
});
