// What ocits tells CRIU (src/checkpoint/plan.ts, mountpoints.ts), and the RPC encoding
// of CRIU's rpc.proto (src/checkpoint/rpc.ts) round-tripped through protobufjs.
import t from 'tap';
import plan from '../../dist/lib/checkpoint/plan.js';
import mountpoints from '../../dist/lib/checkpoint/mountpoints.js';
import rpc from '../../dist/lib/checkpoint/rpc.js';
import protobuf from 'protobufjs';
import descriptor from '../../dist/lib/checkpoint/generated/rpc.json' with { type: 'json' };

const spec = {
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm' },
    { destination: '/data/', type: 'bind', source: '/srv/data', options: ['rbind'] },
    { destination: '/etc/hosts', source: 'hosts', options: ['bind', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' },
  ],
  linux: {
    maskedPaths: ['/proc/kcore', '/proc/acpi'],
    devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }],
    namespaces: [{ type: 'pid' }, { type: 'network', path: '/run/netns/x' }, { type: 'ipc', path: '/proc/9/ns/ipc' }, { type: 'mount' }],
  },
};

t.test('external mounts: bind mounts, masked files, devices (dump and restore)', async (t) => {
  t.same(plan.dumpExternalMounts(spec, ['/proc/kcore']), [
    { key: '/data', val: '/data' }, { key: '/etc/hosts', val: '/etc/hosts' },
    { key: '/proc/kcore', val: '/dev/null' }, { key: '/dev/fuse', val: '/dev/fuse' },
  ]);
  t.same(plan.restoreExternalMounts(spec, '/bundle'), [
    { key: '/data', val: '/srv/data' }, { key: '/etc/hosts', val: '/bundle/hosts' },
    { key: '/dev/null', val: '/dev/null' }, { key: '/dev/fuse', val: '/dev/fuse' },
  ]);
});

t.test('the binds of a cgroup mount are external', async (t) => {
  const binds = (m) => (m.destination === '/sys/fs/cgroup'
    ? [{ name: 'memory', source: '/sys/fs/cgroup/memory/ocits/a' }, { name: 'cpu,cpuacct', source: '/sys/fs/cgroup/cpu,cpuacct/ocits/a' }] : []);
  t.same(plan.cgroupBindMounts(spec, binds, false), [
    { key: '/sys/fs/cgroup/memory', val: '/sys/fs/cgroup/memory' }, { key: '/sys/fs/cgroup/cpu,cpuacct', val: '/sys/fs/cgroup/cpu,cpuacct' },
  ], 'dump: keyed by where they sit');
  t.same(plan.cgroupBindMounts(spec, binds, true).map((e) => e.val), ['/sys/fs/cgroup/memory/ocits/a', '/sys/fs/cgroup/cpu,cpuacct/ocits/a'],
    "restore: the new container's cgroup directories");
  t.same(plan.cgroupBindMounts(spec, () => [], false), [], 'no binds (a cgroup namespace, or cgroup2): nothing external');
});

t.test('namespaces by path', async (t) => {
  t.same(plan.dumpExternalNamespaces(spec, (p) => (p === '/run/netns/x' ? 4026532000 : 0)), ['net[4026532000]:extRootNetNS']);
  t.same(plan.restoreNamespaces(spec), {
    inherit: [{ key: 'extRootNetNS', path: '/run/netns/x' }],
    joinNs: [{ ns: 'ipc', ns_file: '/proc/9/ns/ipc' }],
  });
  t.throws(() => plan.restoreNamespaces({ linux: { namespaces: [{ type: 'cgroup', path: '/proc/1/ns/cgroup' }] } }), /Do not know how to handle namespace cgroup/);
});

t.test("runc's option parsing and messages", async (t) => {
  t.equal(plan.cgroupsMode(undefined), undefined);
  t.same(['soft', 'full', 'strict'].map(plan.cgroupsMode), ['SOFT', 'FULL', 'STRICT']);
  t.throws(() => plan.cgroupsMode('ignore'), { message: 'Invalid manage cgroups mode' });
  t.equal(plan.emptyNsMask([]), 0x40000000, 'network always');
  t.equal(plan.emptyNsMask(['network']), 0x40000000);
  t.throws(() => plan.emptyNsMask(['ipc']), /namespace "ipc" is not supported/);
  t.equal(plan.criuConfigFile(undefined), '/etc/criu/runc.conf');
  t.equal(plan.criuConfigFile({ 'org.criu.config': '' }), undefined);
  t.equal(plan.criuConfigFile({ 'org.criu.config': '/x.conf' }), '/x.conf');
  t.same(plan.inheritPipes(['/dev/null', 'pipe:[123]', 'pipe:[456]']), [{ key: 'pipe:[123]', fd: 1 }, { key: 'pipe:[456]', fd: 2 }]);
  t.same(plan.cgroupRoots('12:cpu,cpuacct:/ocits/a\n1:name=systemd:/ocits/a\n0::/ocits/a\n'), [
    { ctrl: 'cpu', path: '/ocits/a' }, { ctrl: 'cpuacct', path: '/ocits/a' }, { ctrl: 'name=systemd', path: '/ocits/a' },
  ]);
});

t.test('restore mount points: not on a tmpfs, files for file binds, none for cgroup', async (t) => {
  const got = mountpoints.restoreMountpoints(spec, (src) => src !== 'hosts');
  t.same(got, [['/proc', 'dir'], ['/dev', 'dir'], ['/data', 'dir'], ['/etc/hosts', 'file']]);
});

t.test('criu_req encodes as CRIU reads it; criu_resp decodes', async (t) => {
  const bytes = rpc.encodeRequest({
    type: 'DUMP', opts: { images_dir_fd: 5, pid: 42, ext_mnt: [{ key: '/data', val: '/data' }], manage_cgroups_mode: 'SOFT', empty_ns: 0x40000000 },
  });
  const root = protobuf.Root.fromJSON(descriptor);
  const req = root.lookupType('criu_req').toObject(root.lookupType('criu_req').decode(bytes), { enums: String });
  t.same([req.type, req.opts.images_dir_fd, req.opts.pid, req.opts.ext_mnt[0].val, req.opts.manage_cgroups_mode, req.opts.empty_ns],
    ['DUMP', 5, 42, '/data', 'SOFT', 0x40000000]);
  const R = root.lookupType('criu_resp');
  const resp = rpc.decodeResponse(R.encode(R.fromObject({ type: 'NOTIFY', success: true, notify: { script: 'post-restore', pid: 77 } })).finish());
  t.same(resp, { type: 'NOTIFY', success: true, notify: { script: 'post-restore', pid: 77 } });
});
