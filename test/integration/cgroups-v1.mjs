// Real cgroup v1 hierarchies of this host (v1 or hybrid), as root: limits are
// written and read back, enforced on a child, freeze/thaw, pids, stats, destroy.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import cg from '../../dist/lib/cgroups/index.js';
import { gatedShell, isRoot, read, sleep, until } from '../fixtures/cgroups/real.mjs';
import { requires, notApplicable } from '../lib/skip.mjs';

const { cgroupManager, cgroupManagerFromPaths, detectLayout, parseProcCgroup } = cg;

const layout = detectLayout(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
if (!requires(t, isRoot, 'real cgroups need root')) process.exit(0);
// A pure cgroup v2 host (the test:v2 guest) has no v1 hierarchy to drive: there is
// nothing for this file to test; cgroups-unified.mjs drives the same operations on cgroup2.
if (layout.kind === 'v2') {
  notApplicable(t, 'cgroup v1 hierarchies', 'pure cgroup v2 host: no v1 hierarchy is mounted');
  process.exit(0);
}

const base = `ocits-itest-${process.pid}`;
const self = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8'));
const h = (c) => layout.v1.find((x) => x.controllers.includes(c));
/** Where a relative cgroupsPath lands in a controller's hierarchy: under this process's own cgroup there. */
const dirOf = (c, rel) => {
  const hier = h(c);
  const own = self.find((e) => e.controllers.length && hier.controllers.every((x) => e.controllers.includes(x)))?.path ?? '/';
  return path.join(hier.mountpoint, own, rel);
};

t.test('limits are written, enforced, frozen, listed and removed', async (t) => {
  const rel = `${base}/limits`;
  const m = cgroupManager({ id: 'itest', cgroupsPath: rel });
  t.equal(m.layout, layout.kind);
  const kids = [];
  t.teardown(async () => { for (const k of kids) await k.kill(); try { m.destroy(); } catch { /* reported below */ } });
  m.create();
  for (const p of m.paths()) t.ok(fs.statSync(p.path).isDirectory(), `${p.path} exists`);
  const mem = dirOf('memory', rel);
  t.ok(m.paths().some((p) => p.path === mem && p.owned), `memory cgroup at ${mem}`);

  const hasMemsw = fs.existsSync(path.join(mem, 'memory.memsw.limit_in_bytes'));
  m.apply({
    memory: { limit: 32 * 1024 * 1024, reservation: 16 * 1024 * 1024, ...(hasMemsw ? { swap: 32 * 1024 * 1024 } : {}), swappiness: 0 },
    cpu: { shares: 512, quota: 20000, period: 100000, cpus: '0', mems: '0' },
    pids: { limit: 8 },
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 9, access: 'r' },
    ],
  });
  t.equal(read(path.join(mem, 'memory.limit_in_bytes')), String(32 * 1024 * 1024));
  t.equal(read(path.join(mem, 'memory.soft_limit_in_bytes')), String(16 * 1024 * 1024));
  if (requires(t, hasMemsw, 'memory.memsw.* needs swap accounting (on in Debian kernels)')) t.equal(read(path.join(mem, 'memory.memsw.limit_in_bytes')), String(32 * 1024 * 1024));
  t.equal(read(path.join(mem, 'memory.swappiness')), '0');
  t.equal(read(path.join(dirOf('cpu', rel), 'cpu.shares')), '512');
  t.equal(read(path.join(dirOf('cpu', rel), 'cpu.cfs_quota_us')), '20000');
  t.equal(read(path.join(dirOf('cpu', rel), 'cpu.cfs_period_us')), '100000');
  t.equal(read(path.join(dirOf('cpuset', rel), 'cpuset.cpus')), '0');
  t.equal(read(path.join(dirOf('pids', rel), 'pids.max')), '8');
  t.same(read(path.join(dirOf('devices', rel), 'devices.list')).split('\n').sort(), ['c 1:3 rwm', 'c 1:5 rwm', 'c 1:9 r']);

  // Devices: /dev/null and /dev/zero allowed, /dev/full denied, /dev/urandom read-only.
  const dev = gatedShell('echo x > /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null && echo zero-ok; '
    + 'head -c1 /dev/full >/dev/null 2>&1 || echo full-denied; head -c1 /dev/urandom >/dev/null && echo urandom-r-ok; '
    + '(echo x > /dev/urandom) 2>/dev/null || echo urandom-w-denied');
  kids.push(dev);
  m.join(dev.pid);
  dev.go();
  await dev.exited;
  t.same(dev.out().trim().split('\n'), ['null-ok', 'zero-ok', 'full-denied', 'urandom-r-ok', 'urandom-w-denied'], 'device rules enforced');

  // pids: a ticker joins; pids() lists it; the pids limit stops a fork bomb.
  const ticker = gatedShell('while :; do echo t; sleep 0.05; done');
  kids.push(ticker);
  m.join(ticker.pid);
  ticker.go();
  t.ok(await until(() => ticker.out().length > 4), 'ticker runs');
  t.ok(m.pids().includes(ticker.pid), 'pids() lists the joined child');
  t.match(read(`/proc/${ticker.pid}/cgroup`), new RegExp(`memory:${path.relative(h('memory').mountpoint, mem).replace(/^/, '/')}`));

  // Freeze: the state file says FROZEN and the ticker stops; thaw resumes it.
  m.freeze();
  t.equal(m.isFrozen(), true);
  t.equal(read(path.join(dirOf('freezer', rel), 'freezer.state')), 'FROZEN');
  t.comment(`frozen task state: ${read(`/proc/${ticker.pid}/stat`).split(') ')[1].split(' ')[0]}`);
  const n = ticker.out().length;
  await sleep(300);
  t.equal(ticker.out().length, n, 'no output while frozen');
  m.thaw();
  t.equal(m.isFrozen(), false);
  t.equal(read(path.join(dirOf('freezer', rel), 'freezer.state')), 'THAWED');
  t.ok(await until(() => ticker.out().length > n), 'output resumes after thaw');

  const bomb = gatedShell('for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2 & done; wait');
  kids.push(bomb);
  m.join(bomb.pid);
  bomb.go();
  await bomb.exited;
  t.match(bomb.err(), /fork|Resource temporarily unavailable|Cannot/i, 'forks beyond pids.max fail');
  t.match(read(path.join(dirOf('pids', rel), 'pids.events')), /^max [1-9]/, 'pids.events counts the refusals');

  // Memory: a process growing past 32 MiB is killed by the OOM killer (with room for its forks).
  t.comment(`pids.current after the fork bomb: ${read(path.join(dirOf('pids', rel), 'pids.current'))}`);
  m.apply({ pids: { limit: 64 } });
  const hog = gatedShell('head -c 200000000 /dev/zero | tail > /dev/null');
  kids.push(hog);
  m.join(hog.pid);
  hog.go();
  const hogExit = await hog.exited;
  t.equal(hogExit.code, 137, 'killed');
  const failcnt = ['memory.failcnt', 'memory.memsw.failcnt'].filter((f) => fs.existsSync(path.join(mem, f)))
    .reduce((a, f) => a + Number(read(path.join(mem, f))), 0);
  t.comment(`memory failcnt: ${failcnt}`);
  t.match(read(path.join(mem, 'memory.oom_control')), /oom_kill [1-9]/, 'the OOM killer acted');

  const s = m.stats();
  t.equal(s.type, 'stats');
  t.ok(s.data.memory.usage.limit === 32 * 1024 * 1024, 'stats: memory limit');
  t.ok(s.data.pids.current >= 1 && s.data.pids.limit === 64, 'stats: pids');
  t.ok(s.data.cpu.usage.total > 0, 'stats: cpu usage');

  for (const k of kids) await k.kill();
  await until(() => m.pids().length === 0);
  const paths = m.paths();
  m.destroy();
  for (const p of paths) t.notOk(fs.existsSync(p.path), `${p.path} removed`);
});

t.test('bad values are refused naming the field; destroy after a failed apply leaves nothing', async (t) => {
  const rel = `${base}/bad`;
  const m = cgroupManager({ id: 'bad', cgroupsPath: rel });
  m.create();
  const paths = m.paths();
  t.throws(() => m.apply({ cpu: { shares: 1 } }), { field: 'linux.resources.cpu.shares' });
  t.throws(() => m.apply({ cpu: { cpus: '999' } }), /^linux\.resources\.cpu\.cpus: cannot write "999"/);
  t.throws(() => m.apply({ hugepageLimits: [{ pageSize: '3M', limit: 1 }] }), /^linux\.resources\.hugepageLimits\[0\]\.pageSize: /);
  t.throws(() => m.apply({ pids: { limit: -5 } }), /^linux\.resources\.pids\.limit: -5 is out of range/);
  t.throws(() => m.apply({ memory: { limit: 1 << 20, swap: 1 << 19 } }), /^linux\.resources\.memory\.swap: /);
  m.destroy();
  for (const p of paths) t.notOk(fs.existsSync(p.path), `${p.path} removed`);
});

t.test('reopened from the recorded paths, a manager finds and removes the cgroup', async (t) => {
  const m = cgroupManager({ id: 'reopen', cgroupsPath: `${base}/reopen` });
  m.create();
  const kid = gatedShell('sleep 30');
  m.join(kid.pid);
  const rec = JSON.parse(JSON.stringify(m.paths()));
  const again = cgroupManagerFromPaths(rec, { id: 'reopen' });
  t.same(again.pids(), [kid.pid]);
  again.freeze();
  t.equal(m.isFrozen(), true);
  again.thaw();
  await kid.kill();
  await until(() => again.pids().length === 0);
  again.destroy();
  for (const p of rec) t.notOk(fs.existsSync(p.path), `${p.path} removed`);
});
