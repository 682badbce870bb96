import t from 'tap';
import cg from '../../dist/lib/cgroups/index.js';

const { planResources, CgroupError, sharesToWeight, blkioToIoWeight } = cg;

const V1 = new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'net_cls', 'net_prio', 'hugetlb', 'rdma']);
const V2 = new Set(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma']);
const ctx = {
  v1: { layout: 'v1', v1: V1, v2: new Set() },
  v2: { layout: 'v2', v1: new Set(), v2: V2 },
  // This machine's shape: hugetlb only in the unified hierarchy, no net_cls/net_prio/rdma anywhere.
  hybrid: { layout: 'hybrid', v1: new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids']), v2: new Set(['hugetlb']) },
};
const without = (c, ...files) => ({ ...c, exists: (_h, f) => !files.includes(f) });
const writes = (res, c) => planResources(res, c).writes.map((w) => [w.hierarchy, w.file, w.value]);

function fails(t, fn, field, re) {
  try {
    fn();
    t.fail(`expected a CgroupError for ${field}`);
  } catch (e) {
    t.ok(e instanceof CgroupError, `CgroupError: ${e.message}`);
    t.equal(e.field, field);
    t.ok(e.message.startsWith(field + ': '), 'message starts with the field');
    if (re) t.match(e.message, re);
  }
}

t.test('nothing to do', async (t) => {
  t.same(planResources(undefined, ctx.v1), { writes: [] });
  t.same(planResources({}, ctx.v2), { writes: [] });
  t.same(writes({ memory: {}, cpu: {}, blockIO: {}, hugepageLimits: [], devices: [], unified: {} }, ctx.v1), []);
});

t.test('conversions', async (t) => {
  t.equal(sharesToWeight(2n), 1n);
  t.equal(sharesToWeight(1024n), 39n);
  t.equal(sharesToWeight(262144n), 10000n);
  t.equal(blkioToIoWeight(10n), 1n);
  t.equal(blkioToIoWeight(500n), 4950n);
  t.equal(blkioToIoWeight(1000n), 10000n);
});

t.test('memory v1', async (t) => {
  t.same(writes({ memory: { limit: 1 << 30, reservation: 1 << 29, swap: 2 ** 31, kernel: 1 << 20, kernelTCP: 1 << 19, swappiness: 10, disableOOMKiller: true, useHierarchy: true } }, ctx.v1), [
    ['memory', 'memory.limit_in_bytes', '1073741824'],
    ['memory', 'memory.memsw.limit_in_bytes', '2147483648'],
    ['memory', 'memory.soft_limit_in_bytes', '536870912'],
    ['memory', 'memory.kmem.limit_in_bytes', '1048576'],
    ['memory', 'memory.kmem.tcp.limit_in_bytes', '524288'],
    ['memory', 'memory.swappiness', '10'],
    ['memory', 'memory.oom_control', '1'],
    ['memory', 'memory.use_hierarchy', '1'],
  ]);
  // Unlimited: memsw first so that memsw >= limit holds at every step.
  t.same(writes({ memory: { limit: -1, swap: -1 } }, ctx.v1), [
    ['memory', 'memory.memsw.limit_in_bytes', '-1'], ['memory', 'memory.limit_in_bytes', '-1']]);
  // bigint values are written exactly.
  t.same(writes({ memory: { limit: 9223372036854771712n } }, ctx.v1), [['memory', 'memory.limit_in_bytes', '9223372036854771712']]);
  // kernel limits are skipped where the kernel has no such files.
  t.same(writes({ memory: { kernel: 1, kernelTCP: 1 } }, without(ctx.v1, 'memory.kmem.limit_in_bytes', 'memory.kmem.tcp.limit_in_bytes')), []);
  const p = planResources({ memory: { limit: 100, checkBeforeUpdate: true } }, ctx.v1).writes[0];
  t.equal(p.usageFile, 'memory.usage_in_bytes');
  t.equal(p.retryOnEinval, true);
  fails(t, () => planResources({ memory: { limit: 2, swap: 1 } }, ctx.v1), 'linux.resources.memory.swap', />= memory limit/);
  fails(t, () => planResources({ memory: { swap: 100 } }, ctx.v1), 'linux.resources.memory.swap', /finite memory limit/);
  fails(t, () => planResources({ memory: { limit: 1, swap: 2 } }, without(ctx.v1, 'memory.memsw.limit_in_bytes')), 'linux.resources.memory.swap', /swap accounting/);
  fails(t, () => planResources({ memory: { limit: -2 } }, ctx.v1), 'linux.resources.memory.limit', /out of range/);
  fails(t, () => planResources({ memory: { limit: 1.5 } }, ctx.v1), 'linux.resources.memory.limit', /integer/);
  fails(t, () => planResources({ memory: { swappiness: 101 } }, ctx.v1), 'linux.resources.memory.swappiness');
});

t.test('memory v2', async (t) => {
  t.same(writes({ memory: { limit: 1000, swap: 3000, reservation: 500, kernel: 5, kernelTCP: 5 } }, ctx.v2), [
    ['unified', 'memory.swap.max', '2000'], ['unified', 'memory.max', '1000'], ['unified', 'memory.low', '500']]);
  t.same(writes({ memory: { limit: -1 } }, ctx.v2), [['unified', 'memory.swap.max', 'max'], ['unified', 'memory.max', 'max']]);
  t.same(writes({ memory: { limit: 1000, swap: -1 } }, ctx.v2), [['unified', 'memory.swap.max', 'max'], ['unified', 'memory.max', '1000']]);
  t.same(writes({ memory: { limit: 1000, swap: 1000 } }, ctx.v2), [['unified', 'memory.swap.max', '0'], ['unified', 'memory.max', '1000']]);
  t.same(writes({ memory: { limit: 1000 } }, ctx.v2), [['unified', 'memory.max', '1000']]);
  t.same(writes({ memory: { limit: -1 } }, without(ctx.v2, 'memory.swap.max')), [['unified', 'memory.max', 'max']]);
  t.equal(planResources({ memory: { limit: 1, checkBeforeUpdate: true } }, ctx.v2).writes[0].usageFile, 'memory.current');
  fails(t, () => planResources({ memory: { swappiness: 5 } }, ctx.v2), 'linux.resources.memory.swappiness', /cgroup v2/);
  t.same(writes({ memory: { swappiness: -1 } }, ctx.v2), []);
  fails(t, () => planResources({ memory: { disableOOMKiller: true } }, ctx.v2), 'linux.resources.memory.disableOOMKiller');
  fails(t, () => planResources({ memory: { limit: 1, swap: 2 } }, without(ctx.v2, 'memory.swap.max')), 'linux.resources.memory.swap');
  fails(t, () => planResources({ memory: { limit: 10, swap: 5 } }, ctx.v2), 'linux.resources.memory.swap');
});

t.test('cpu v1', async (t) => {
  t.same(writes({ cpu: { shares: 512, period: 50000, quota: 25000, burst: 1000, realtimePeriod: 1000000, realtimeRuntime: 950000, idle: 1, cpus: '0-1', mems: '0' } }, ctx.v1), [
    ['cpu', 'cpu.shares', '512'],
    ['cpu', 'cpu.cfs_period_us', '50000'],
    ['cpu', 'cpu.cfs_quota_us', '25000'],
    ['cpu', 'cpu.cfs_burst_us', '1000'],
    ['cpu', 'cpu.rt_period_us', '1000000'],
    ['cpu', 'cpu.rt_runtime_us', '950000'],
    ['cpu', 'cpu.idle', '1'],
    ['cpuset', 'cpuset.cpus', '0-1'],
    ['cpuset', 'cpuset.mems', '0'],
  ]);
  t.same(writes({ cpu: { quota: -1 } }, ctx.v1), [['cpu', 'cpu.cfs_quota_us', '-1']]);
  t.same(writes({ cpu: { cpus: '', mems: '' } }, ctx.v1), []);
  fails(t, () => planResources({ cpu: { shares: 1 } }, ctx.v1), 'linux.resources.cpu.shares', /out of range/);
  fails(t, () => planResources({ cpu: { shares: 262145 } }, ctx.v1), 'linux.resources.cpu.shares');
  fails(t, () => planResources({ cpu: { quota: 10 } }, ctx.v1), 'linux.resources.cpu.quota');
  fails(t, () => planResources({ cpu: { period: 10 } }, ctx.v1), 'linux.resources.cpu.period');
  fails(t, () => planResources({ cpu: { idle: 2 } }, ctx.v1), 'linux.resources.cpu.idle');
  fails(t, () => planResources({ cpu: { cpus: '0-a' } }, ctx.v1), 'linux.resources.cpu.cpus');
  fails(t, () => planResources({ cpu: { burst: 5 } }, without(ctx.v1, 'cpu.cfs_burst_us')), 'linux.resources.cpu.burst', /not supported/);
});

t.test('cpu v2', async (t) => {
  t.same(writes({ cpu: { shares: 1024, quota: 50000, period: 200000, burst: 10, idle: 0, cpus: '1', mems: '0' } }, ctx.v2), [
    ['unified', 'cpu.weight', '39'],
    ['unified', 'cpu.max', '50000 200000'],
    ['unified', 'cpu.max.burst', '10'],
    ['unified', 'cpu.idle', '0'],
    ['unified', 'cpuset.cpus', '1'],
    ['unified', 'cpuset.mems', '0'],
  ]);
  t.same(writes({ cpu: { quota: 20000 } }, ctx.v2), [['unified', 'cpu.max', '20000 100000']]);
  t.same(writes({ cpu: { quota: -1, period: 100000 } }, ctx.v2), [['unified', 'cpu.max', 'max 100000']]);
  t.same(writes({ cpu: { period: 30000 } }, ctx.v2), [['unified', 'cpu.max', 'max 30000']]);
  fails(t, () => planResources({ cpu: { realtimeRuntime: 5 } }, ctx.v2), 'linux.resources.cpu.realtimeRuntime', /not supported on cgroup v2/);
  fails(t, () => planResources({ cpu: { realtimePeriod: 5 } }, ctx.v2), 'linux.resources.cpu.realtimePeriod');
  fails(t, () => planResources({ cpu: { shares: 1 } }, ctx.v2), 'linux.resources.cpu.shares');
});

t.test('pids', async (t) => {
  t.same(writes({ pids: { limit: 42 } }, ctx.v1), [['pids', 'pids.max', '42']]);
  t.same(writes({ pids: { limit: -1 } }, ctx.v1), [['pids', 'pids.max', 'max']]);
  t.same(writes({ pids: { limit: 0 } }, ctx.v2), [['unified', 'pids.max', 'max']]);
  t.same(writes({ pids: { limit: 7n } }, ctx.v2), [['unified', 'pids.max', '7']]);
  fails(t, () => planResources({ pids: { limit: -2 } }, ctx.v1), 'linux.resources.pids.limit', /out of range/);
  fails(t, () => planResources({ pids: { limit: 3 } }, { ...ctx.v1, v1: new Set(['memory']) }), 'linux.resources.pids.limit', /not mounted/);
});

const blkio = {
  weight: 500, leafWeight: 300,
  weightDevice: [{ major: 8, minor: 0, weight: 600, leafWeight: 200 }, { major: 8, minor: 16, weight: 10 }],
  throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
  throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152n }],
  throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
  throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
};

t.test('blockIO v1', async (t) => {
  t.same(writes({ blockIO: blkio }, ctx.v1), [
    ['blkio', 'blkio.weight', '500'],
    ['blkio', 'blkio.leaf_weight', '300'],
    ['blkio', 'blkio.weight_device', '8:0 600'],
    ['blkio', 'blkio.leaf_weight_device', '8:0 200'],
    ['blkio', 'blkio.weight_device', '8:16 10'],
    ['blkio', 'blkio.throttle.read_bps_device', '8:0 1048576'],
    ['blkio', 'blkio.throttle.write_bps_device', '8:0 2097152'],
    ['blkio', 'blkio.throttle.read_iops_device', '8:0 100'],
    ['blkio', 'blkio.throttle.write_iops_device', '8:0 200'],
  ]);
  // BFQ-only kernels: blkio.bfq.weight(_device).
  t.same(writes({ blockIO: { weight: 100, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } }, without(ctx.v1, 'blkio.weight')), [
    ['blkio', 'blkio.bfq.weight', '100'], ['blkio', 'blkio.bfq.weight_device', '8:0 200']]);
  fails(t, () => planResources({ blockIO: { leafWeight: 100 } }, without(ctx.v1, 'blkio.leaf_weight')), 'linux.resources.blockIO.leafWeight');
  fails(t, () => planResources({ blockIO: { weight: 5 } }, ctx.v1), 'linux.resources.blockIO.weight', /out of range/);
  fails(t, () => planResources({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 1001 }] } }, ctx.v1), 'linux.resources.blockIO.weightDevice[0].weight');
  fails(t, () => planResources({ blockIO: { throttleReadBpsDevice: [{ major: -8, minor: 0, rate: 1 }] } }, ctx.v1), 'linux.resources.blockIO.throttleReadBpsDevice[0]');
  fails(t, () => planResources({ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: -1 }] } }, ctx.v1), 'linux.resources.blockIO.throttleReadBpsDevice[0].rate');
});

t.test('blockIO v2', async (t) => {
  const { leafWeight, ...b } = blkio;
  b.weightDevice = [{ major: 8, minor: 0, weight: 600 }];
  const io = [
    ['unified', 'io.max', '8:0 rbps=1048576'], ['unified', 'io.max', '8:0 wbps=2097152'],
    ['unified', 'io.max', '8:0 riops=100'], ['unified', 'io.max', '8:0 wiops=200'],
  ];
  // Without BFQ: io.weight with the converted value.
  t.same(writes({ blockIO: b }, without(ctx.v2, 'io.bfq.weight')), [['unified', 'io.weight', '4950'], ['unified', 'io.weight', '8:0 5960'], ...io]);
  // With BFQ: io.bfq.weight, unconverted.
  t.same(writes({ blockIO: b }, ctx.v2), [['unified', 'io.bfq.weight', '500'], ['unified', 'io.bfq.weight', '8:0 600'], ...io]);
  fails(t, () => planResources({ blockIO: { leafWeight } }, ctx.v2), 'linux.resources.blockIO.leafWeight', /cgroup v2/);
  fails(t, () => planResources({ blockIO: { weight: 100 } }, { ...ctx.v2, v2: new Set(['memory']) }), 'linux.resources.blockIO', /"io"/);
});

t.test('hugepages', async (t) => {
  const res = { hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }, { pageSize: '1GB', limit: -1 }] };
  t.same(writes(res, without(ctx.v1, 'hugetlb.1GB.rsvd.limit_in_bytes')), [
    ['hugetlb', 'hugetlb.2MB.limit_in_bytes', '4194304'], ['hugetlb', 'hugetlb.2MB.rsvd.limit_in_bytes', '4194304'],
    ['hugetlb', 'hugetlb.1GB.limit_in_bytes', '-1']]);
  t.same(writes(res, without(ctx.v2, 'hugetlb.1GB.rsvd.max')), [
    ['unified', 'hugetlb.2MB.max', '4194304'], ['unified', 'hugetlb.2MB.rsvd.max', '4194304'], ['unified', 'hugetlb.1GB.max', 'max']]);
  // Hybrid host where hugetlb lives only in the unified hierarchy.
  t.same(writes({ hugepageLimits: [{ pageSize: '2MB', limit: 0 }] }, ctx.hybrid), [
    ['unified', 'hugetlb.2MB.max', '0'], ['unified', 'hugetlb.2MB.rsvd.max', '0']]);
  fails(t, () => planResources({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }, ctx.v1), 'linux.resources.hugepageLimits[0].pageSize');
  fails(t, () => planResources({ hugepageLimits: [{ pageSize: '64KB', limit: 1 }] }, without(ctx.v1, 'hugetlb.64KB.limit_in_bytes')), 'linux.resources.hugepageLimits[0].pageSize', /not supported/);
  fails(t, () => planResources(res, { ...ctx.hybrid, v2: new Set() }), 'linux.resources.hugepageLimits', /not mounted/);
});

t.test('network (v1 only)', async (t) => {
  t.same(writes({ network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 2 }] } }, ctx.v1), [
    ['net_cls', 'net_cls.classid', '1048577'], ['net_prio', 'net_prio.ifpriomap', 'eth0 5'], ['net_prio', 'net_prio.ifpriomap', 'lo 2']]);
  fails(t, () => planResources({ network: { classID: 1 } }, ctx.v2), 'linux.resources.network.classID', /does not exist on cgroup v2/);
  fails(t, () => planResources({ network: { priorities: [{ name: 'eth0', priority: 1 }] } }, ctx.hybrid), 'linux.resources.network.priorities', /not mounted/);
  fails(t, () => planResources({ network: { priorities: [{ name: 'a b', priority: 1 }] } }, ctx.v1), 'linux.resources.network.priorities[0].name');
});

t.test('rdma', async (t) => {
  const res = { rdma: { mlx4_0: { hcaHandles: 2, hcaObjects: 2000 }, mlx5_1: { hcaHandles: 3 } } };
  t.same(writes(res, ctx.v1), [['rdma', 'rdma.max', 'mlx4_0 hca_handle=2 hca_object=2000'], ['rdma', 'rdma.max', 'mlx5_1 hca_handle=3']]);
  t.same(writes(res, ctx.v2).map((w) => w[0]), ['unified', 'unified']);
  fails(t, () => planResources(res, ctx.hybrid), 'linux.resources.rdma', /not mounted/);
});

t.test('unified', async (t) => {
  t.same(writes({ unified: { 'memory.high': '1000000', 'cgroup.max.depth': '3' } }, ctx.v2), [
    ['unified', 'memory.high', '1000000'], ['unified', 'cgroup.max.depth', '3']]);
  t.same(writes({ unified: { 'hugetlb.2MB.max': '0' } }, ctx.hybrid), [['unified', 'hugetlb.2MB.max', '0']]);
  fails(t, () => planResources({ unified: { 'memory.high': '1' } }, ctx.v1), 'linux.resources.unified', /no cgroup v2/);
  fails(t, () => planResources({ unified: { 'memory.high': '1' } }, ctx.hybrid), 'linux.resources.unified["memory.high"]', /v1 hierarchy/);
  fails(t, () => planResources({ unified: { '../x.y': '1' } }, ctx.v2), 'linux.resources.unified["../x.y"]', /file name/);
  fails(t, () => planResources({ unified: { memory: '1' } }, ctx.v2), 'linux.resources.unified["memory"]', /CONTROLLER\.PARAMETER/);
  fails(t, () => planResources({ unified: { 'memory.nope': '1' } }, without(ctx.v2, 'memory.nope')), 'linux.resources.unified["memory.nope"]', /no such file/);
  fails(t, () => planResources({ unified: { 'misc.max': '1' } }, ctx.v2), 'linux.resources.unified["misc.max"]', /not available/);
});

t.test('devices v1 lists and v2 program', async (t) => {
  const devices = [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    { allow: true, type: 'b', major: 8, access: 'mwr' },
    { allow: false, type: 'c', major: 5, minor: -1 },
  ];
  t.same(writes({ devices }, ctx.v1), [
    ['devices', 'devices.deny', 'a *:* rwm'], ['devices', 'devices.allow', 'c 1:3 rw'],
    ['devices', 'devices.allow', 'b 8:* rwm'], ['devices', 'devices.deny', 'c 5:* rwm']]);
  t.same(writes({ devices }, ctx.hybrid).map((w) => w[1]), ['devices.deny', 'devices.allow', 'devices.allow', 'devices.deny']);
  const p = planResources({ devices }, ctx.v2);
  t.same(p.writes, []);
  t.equal(p.devicesProgram.field, 'linux.resources.devices');
  t.ok(p.devicesProgram.insns.length > 10);
  fails(t, () => planResources({ devices: [{ allow: true, access: 'rx' }] }, ctx.v1), 'linux.resources.devices[0].access');
  fails(t, () => planResources({ devices: [{ allow: true, type: 'p' }] }, ctx.v2), 'linux.resources.devices[0].type');
  fails(t, () => planResources({ devices: [{ allow: 'yes' }] }, ctx.v2), 'linux.resources.devices[0].allow');
  fails(t, () => planResources({ devices: [{ allow: true, major: 1.5 }] }, ctx.v2), 'linux.resources.devices[0].major');
  fails(t, () => planResources({ devices: [{ allow: true }] }, { ...ctx.v1, v1: new Set(['memory']) }), 'linux.resources.devices', /not mounted/);
});

t.test('write order follows the resource order', async (t) => {
  const w = writes({ unified: { 'pids.max': '5' }, pids: { limit: 3 }, memory: { limit: 100 }, cpu: { shares: 2 } }, ctx.v2);
  t.same(w.map((x) => x[1]), ['pids.max', 'memory.max', 'cpu.weight', 'pids.max']);
});
