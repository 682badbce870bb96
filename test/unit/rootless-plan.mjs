// Rootless plan steps: the default state root, who counts as rootless, how a
// user namespace's maps are written, and which limits need a delegated cgroup.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sr from '../../dist/lib/runtime/state-root.js';
import um from '../../dist/lib/linux/userns-maps.js';
import cg from '../../dist/lib/cgroups/rootless.js';

const { defaultRoot, isRootless, runningInUserNs, checkOwnRoot } = sr;
const { parseSubIds, planIdMapWrite, checkHelperMappings, helperArgs } = um;
const { askedLimits } = cg;

t.test('default state root', async (t) => {
  t.equal(defaultRoot(0, {}, false), '/run/ocits');
  t.equal(defaultRoot(0, { XDG_RUNTIME_DIR: '/run/user/0' }, false), '/run/ocits', 'the real root ignores XDG_RUNTIME_DIR');
  t.equal(defaultRoot(1000, { XDG_RUNTIME_DIR: '/run/user/1000' }, false), '/run/user/1000/ocits');
  t.equal(defaultRoot(1000, {}, false), '/tmp/ocits-1000');
  t.equal(defaultRoot(1000, { XDG_RUNTIME_DIR: 'relative' }, false), '/tmp/ocits-1000', 'a relative XDG_RUNTIME_DIR is ignored');
  t.equal(defaultRoot(0, { XDG_RUNTIME_DIR: '/run/user/1000', USER: 'alice' }, true), '/run/user/1000/ocits', 'root of a rootless user namespace (podman)');
  t.equal(defaultRoot(0, { XDG_RUNTIME_DIR: '/run/user/0', USER: 'root' }, true), '/run/ocits');
});

t.test('rootless mode', async (t) => {
  t.equal(isRootless('auto', 1000, false), true);
  t.equal(isRootless('auto', 0, false), false);
  t.equal(isRootless('auto', 0, true), true, 'root in a user namespace');
  t.equal(isRootless('true', 0, false), true);
  t.equal(isRootless('false', 1000, false), false);
  t.equal(runningInUserNs('         0          0 4294967295\n'), false);
  t.equal(runningInUserNs('         0       1000          1\n'), true);
  t.equal(runningInUserNs('0 0 1000\n1000 1000 4294966295\n'), true);
});

t.test('own state root checks', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-unit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const uid = process.geteuid();
  if (uid === 0) {
    // As root every root is accepted; pretend to be another user to see the refusals.
    t.throws(() => checkOwnRoot(dir, 4242), /owned by uid 0, not by you \(uid 4242\)/);
  }
  fs.chmodSync(dir, 0o777);
  t.throws(() => checkOwnRoot(dir, uid || 4242), /owned by|writable by others/);
  fs.chmodSync(dir, 0o700);
  const link = path.join(dir, 'link');
  fs.symlinkSync(dir, link);
  t.throws(() => checkOwnRoot(link, uid || 4242), /not a directory \(a symlink\?\)/);
  if (uid !== 0) {
    checkOwnRoot(path.join(dir, 'made'), uid);
    t.equal(fs.statSync(path.join(dir, 'made')).mode & 0o777, 0o700, 'a missing root is made, 0700');
  }
});

t.test('subordinate id files', async (t) => {
  const text = 'alice:100000:65536\nbob:165536:65536\n1001:300000:1000\nbad line\nalice:x:1\n';
  t.same(parseSubIds(text, ['alice', '1000']), [{ start: 100000, count: 65536 }]);
  t.same(parseSubIds(text, ['carol', '1001']), [{ start: 300000, count: 1000 }], 'by number');
  t.same(parseSubIds(text, [undefined, '7']), []);
});

t.test('how maps are written', async (t) => {
  const own = [{ containerID: 0, hostID: 1000, size: 1 }];
  const ownGid = [{ containerID: 0, hostID: 2000, size: 1 }];
  const many = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
  const caller = { uid: 1000, gid: 2000, privileged: false };
  t.same(planIdMapWrite(own, ownGid, caller), { uid: 'direct', gid: 'direct', denySetgroups: true });
  t.same(planIdMapWrite(many, ownGid, caller), { uid: 'helper', gid: 'direct', denySetgroups: true });
  t.same(planIdMapWrite(own, many, caller), { uid: 'direct', gid: 'helper', denySetgroups: false });
  t.same(planIdMapWrite([{ containerID: 1000, hostID: 1000, size: 1 }], ownGid, caller).uid, 'direct', 'keep-id style');
  t.same(planIdMapWrite([{ containerID: 0, hostID: 1000, size: 2 }], ownGid, caller).uid, 'helper', 'more than one id');
  t.same(planIdMapWrite(many, many, { ...caller, privileged: true }), { uid: 'direct', gid: 'direct', denySetgroups: false });
  t.same(helperArgs(many), ['0', '1000', '1', '1', '100000', '65536']);
});

t.test('mappings checked against the ranges', async (t) => {
  const ranges = [{ start: 100000, count: 65536 }];
  const ok = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
  t.doesNotThrow(() => checkHelperMappings('uid', ok, 1000, ranges, '/etc/subuid', true));
  t.throws(() => checkHelperMappings('uid', [{ containerID: 1, hostID: 100001, size: 65536 }], 1000, ranges, '/etc/subuid', true),
    /linux\.uidMappings: containerID 1 hostID 100001 size 65536: host uids 100001-165536 are neither your own uid \(1000\) nor in your ranges in \/etc\/subuid \(100000-165535\)/);
  t.throws(() => checkHelperMappings('gid', [{ containerID: 0, hostID: 0, size: 1 }], 2000, [], '/etc/subgid', true),
    /linux\.gidMappings: .*host gids 0-0 .*\/etc\/subgid \(none\)/);
  t.throws(() => checkHelperMappings('uid', ok, 1000, ranges, '/etc/subuid', false), /needs newuidmap \(Debian package uidmap\)/);
  t.throws(() => checkHelperMappings('uid', [], 1000, ranges, '/etc/subuid', true), /at least one mapping/);
});

t.test('limits that need a cgroup', async (t) => {
  t.same(askedLimits(undefined), []);
  t.same(askedLimits({ devices: [{ allow: false, access: 'rwm' }] }), [], 'device rules are not limits');
  t.same(askedLimits({ memory: {}, cpu: { shares: undefined } }), [], 'empty objects ask nothing');
  t.same(askedLimits({ memory: { limit: 1 << 20 }, pids: { limit: 10 }, blockIO: { weight: 100 } }), ['memory', 'pids', 'blkio']);
  t.same(askedLimits({ unified: { 'memory.max': '1M' } }), ['unified']);
});

t.test('rootless cgroups on fixture trees: a delegated subtree is used and limited, nothing else', async (t) => {
  const { makeTree, read } = await import('../fixtures/cgroups/fixture.mjs');
  const { rootlessCgroupManager } = cg;
  const make = (kind, usable, resources, cgroupsPath = '/user.slice/ctr') => {
    const root = t.testdir({});
    const tree = makeTree(root, kind);
    const m = rootlessCgroupManager({ id: 'abc', root, mountinfo: tree.mountinfo, onMkdir: tree.onMkdir, cgroupsPath, usable: usable(root) }, resources);
    return { root, m };
  };
  // v2: only the user's delegated directory (as systemd's Delegate=yes, or a chown) is usable.
  const delegated = (root) => (dir) => dir.startsWith(path.join(root, 'user.slice'));
  const v2 = make('v2', delegated, { pids: { limit: 42 }, memory: { limit: 1 << 20 } });
  t.equal(v2.m.layout, 'v2');
  v2.m.create();
  v2.m.apply({ pids: { limit: 42 }, memory: { limit: 1 << 20 }, devices: [{ allow: false, access: 'rwm' }] });
  t.equal(read(path.join(v2.root, 'user.slice/ctr/pids.max')).trim(), '42', 'limits written in the delegated subtree');
  t.equal(read(path.join(v2.root, 'user.slice/ctr/memory.max')).trim(), '1048576');
  t.same(v2.m.paths().map((p) => path.relative(v2.root, p.path)), ['user.slice', 'user.slice/ctr']);
  v2.m.destroy();
  t.notOk(fs.existsSync(path.join(v2.root, 'user.slice/ctr')), 'removed on destroy');
  // Hybrid: the v1 hierarchies are not the user's, the unified one is delegated: only it is used.
  const hy = make('hybrid', (root) => (dir) => dir.startsWith(path.join(root, 'unified')), undefined);
  t.equal(hy.m.layout, 'v2', 'only the unified hierarchy');
  t.same(hy.m.paths().map((p) => path.relative(hy.root, p.path)), ['unified/user.slice/ctr']);
  // Nothing delegated: no limits asked → nothing made; limits asked → runc's error before anything is made.
  const none = (root) => () => false;
  const quiet = make('v1', none, { devices: [{ allow: false, access: 'rwm' }] });
  quiet.m.create();
  quiet.m.apply({ devices: [{ allow: false, access: 'rwm' }] });
  t.same(quiet.m.paths(), [], 'no cgroup, quietly');
  t.same(quiet.m.pids(), []);
  quiet.m.destroy();
  t.throws(() => make('v1', none, { memory: { limit: 1 << 20 } }), /^Error: cannot set memory limit: container could not join or create cgroup|cannot set memory limit: container could not join or create cgroup/);
});
