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
  t.doesNotThrow(() => checkOwnRoot(path.join(dir, 'absent'), 4242), 'made on first use');
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
