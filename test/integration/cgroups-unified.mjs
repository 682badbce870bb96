// The cgroup2 hierarchy of this host (the whole tree on v2, /sys/fs/cgroup/unified on
// hybrid), driven as a v2 layout: the device eBPF program is loaded, attached,
// replaced and enforced; cgroup.freeze stops a child; pids() and destroy. On a hybrid
// host, also hugetlb limits in the cgroup2 tree. Everything that changes the shared
// cgroup2 root (subtree_control) is in this one file, and undone at the end.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import cg from '../../dist/lib/cgroups/index.js';
import { gatedShell, isRoot, read, sleep, until } from '../fixtures/cgroups/real.mjs';
import { requires, notApplicable, testIf } from '../lib/skip.mjs';

const { cgroupManager, detectLayout, devicePrograms } = cg;

const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
const layout = detectLayout(mountinfo);
if (!requires(t, isRoot, 'real cgroups need root')) process.exit(0);
// Only a host booted with systemd's legacy hierarchy (no cgroup2 mount at all) lacks
// this tree; CI runs on a hybrid host and in the pure v2 guest (npm run test:v2).
if (!layout.unified) {
  notApplicable(t, 'the cgroup2 hierarchy', 'legacy cgroup v1 host: no cgroup2 mount');
  process.exit(0);
}
// Only the cgroup2 mount: a v2 layout even on a hybrid host.
const v2info = mountinfo.split('\n').filter((l) => / - cgroup2 /.test(l)).join('\n');
const top = layout.unified.mountpoint;
const available = new Set(read(path.join(top, 'cgroup.controllers')).split(/\s+/).filter(Boolean));
const rootSubtree = new Set(read(path.join(top, 'cgroup.subtree_control')).split(/\s+/).filter(Boolean));
const name = `/ocits-itest-${process.pid}-v2`;

t.teardown(() => {
  // Give back controllers this test made the root delegate (none on a host that already did).
  const now = read(path.join(top, 'cgroup.subtree_control')).split(/\s+/).filter(Boolean);
  for (const c of now) if (!rootSubtree.has(c)) { try { fs.writeFileSync(path.join(top, 'cgroup.subtree_control'), `-${c}`); } catch { /* in use */ } }
});

t.test('device program, freeze, pids, destroy', async (t) => {
  const m = cgroupManager({ id: 'itest-v2', cgroupsPath: `${name}/c`, mountinfo: v2info });
  t.equal(m.layout, 'v2');
  const kids = [];
  t.teardown(async () => { for (const k of kids) await k.kill(); try { m.destroy(); } catch { /* reported below */ } });
  m.create();
  const dir = path.join(top, name, 'c');
  t.same(m.paths(), [{ path: path.join(top, name), owned: true }, { path: dir, owned: true }]);

  const res = { devices: [{ allow: true }, { allow: false, type: 'c', major: 1, minor: 7 }] };
  // A controller lives in exactly one hierarchy: one bound to a v1 hierarchy (hybrid
  // host) cannot appear here, and cgroups-v1.mjs tests it there. Anywhere else it must be here.
  for (const c of ['pids', 'hugetlb']) {
    const onV1 = layout.v1.some((x) => x.controllers.includes(c));
    t.ok(available.has(c) !== onV1, `${c}: ${onV1 ? 'on a v1 hierarchy, not offered here' : 'offered by the cgroup2 root'}`);
  }
  if (available.has('hugetlb')) {
    t.ok(fs.existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB'), '2MB huge pages (x86-64) exist');
    res.hugepageLimits = [{ pageSize: '2MB', limit: 0 }];
  }
  if (available.has('pids')) res.pids = { limit: 32 };
  m.apply(res);
  if (res.hugepageLimits) t.equal(read(path.join(dir, 'hugetlb.2MB.max')), '0', 'hugetlb limit written');
  if (res.pids) t.equal(read(path.join(dir, 'pids.max')), '32');
  const first = devicePrograms(dir);
  t.equal(first.length, 1, 'one device program attached');

  const probe = 'head -c1 /dev/zero >/dev/null 2>&1 && echo zero-ok || echo zero-denied; '
    + 'head -c1 /dev/full >/dev/null 2>&1 && echo full-ok || echo full-denied; echo x > /dev/null && echo null-ok';
  const a = gatedShell(probe);
  kids.push(a);
  m.join(a.pid);
  a.go();
  await a.exited;
  t.same(a.out().trim().split('\n'), ['zero-ok', 'full-denied', 'null-ok'], 'deny c 1:7 enforced by the program');

  // Re-applying replaces the program (still exactly one attached) and the new rules hold.
  m.apply({ devices: [{ allow: false }, { allow: true, type: 'c', major: 1, minor: 3 }, { allow: true, type: 'c', major: 1, minor: 7, access: 'r' }] });
  const second = devicePrograms(dir);
  t.equal(second.length, 1, 'still one program');
  t.not(second[0], first[0], 'a new program');
  const b = gatedShell(probe);
  kids.push(b);
  m.join(b.pid);
  b.go();
  await b.exited;
  t.same(b.out().trim().split('\n'), ['zero-denied', 'full-ok', 'null-ok'], 'the new rules hold');

  // A docker-like default list passes the verifier.
  m.apply({
    devices: [
      { allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, { allow: true, type: 'c', major: 136, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: true, type: 'c', access: 'm' }, { allow: true, type: 'b', access: 'm' },
    ],
  });
  t.equal(devicePrograms(dir).length, 1);

  const ticker = gatedShell('while :; do echo t; sleep 0.05; done');
  kids.push(ticker);
  m.join(ticker.pid);
  ticker.go();
  t.ok(await until(() => ticker.out().length > 4), 'ticker runs');
  t.ok(m.pids().includes(ticker.pid), 'pids() lists it');
  m.freeze();
  t.equal(m.isFrozen(), true);
  t.match(read(path.join(dir, 'cgroup.events')), /frozen 1/);
  const n = ticker.out().length;
  await sleep(300);
  t.equal(ticker.out().length, n, 'no output while frozen');
  m.thaw();
  t.equal(m.isFrozen(), false);
  t.ok(await until(() => ticker.out().length > n), 'output resumes');

  const s = m.stats();
  t.equal(s.type, 'stats');
  t.ok(s.data.cpu?.usage?.total >= 0, 'cpu.stat is read');

  for (const k of kids) await k.kill();
  await until(() => m.pids().length === 0);
  m.destroy();
  t.notOk(fs.existsSync(path.join(top, name)), 'directories removed');
});

const unifiedTop = top;
const unifiedHasHugetlb = layout.kind === 'hybrid' && unifiedTop
  && read(path.join(unifiedTop, 'cgroup.controllers')).split(/\s+/).includes('hugetlb')
  && !layout.v1.some((x) => x.controllers.includes('hugetlb')) && fs.existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB');

// Only a hybrid host can split controllers between the two trees; elsewhere hugetlb
// is tested in its only hierarchy (above on v2, in cgroups-v1.mjs on v1).
const hybridHugetlb = 'hybrid host: hugetlb, found only in the cgroup2 tree, is delegated there and limited';
if (layout.kind !== 'hybrid') notApplicable(t, hybridHugetlb, `a ${layout.kind} host has one tree only`);
else if (layout.v1.some((x) => x.controllers.includes('hugetlb'))) notApplicable(t, hybridHugetlb, 'hugetlb is bound to a v1 hierarchy on this host');
else testIf(t, unifiedHasHugetlb, 'hugetlb is not on this hybrid host\'s cgroup2 tree', hybridHugetlb, async (t) => {
  const before = read(path.join(unifiedTop, 'cgroup.subtree_control'));
  // The real (hybrid) layout this time, not the cgroup2-only view.
  const m = cgroupManager({ id: 'huge', cgroupsPath: `${name}-huge/c` });
  t.teardown(() => { try { m.destroy(); } catch { /* below */ } });
  m.create();
  t.equal(read(path.join(unifiedTop, 'cgroup.subtree_control')), before, 'create does not touch the shared cgroup2 tree');
  m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 0 }], memory: { limit: 1 << 26 } });
  const dir = m.paths().filter((p) => p.path.startsWith(unifiedTop + '/')).at(-1).path;
  t.equal(read(path.join(dir, 'hugetlb.2MB.max')), '0');
  t.same(m.stats().data.hugetlb['2MB'], { usage: 0, failcnt: 0 });
  m.destroy();
  t.notOk(fs.existsSync(dir));
});
