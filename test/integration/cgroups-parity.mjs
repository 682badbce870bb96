// cgroups as runc 1.1 (issue 10 item 14): a container whose cgroup already has processes
// joins it with runc's warning; an impossible v1+unified combination (linux.resources.unified
// naming a controller this hybrid host binds to v1) fails in one line and leaves no cgroup;
// without cgroupsPath the container goes under the runtime's own cgroup, as runc's does.
import t from 'tap';
import * as fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { fixture, makeRoot, isRoot } from '../lib/bundle.mjs';
import { requires } from '../lib/skip.mjs';

t.ok(isRoot, 'runs as root (real containers)');
const root = makeRoot();
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
const hybrid = fs.existsSync('/sys/fs/cgroup/pids/cgroup.procs') && fs.existsSync('/sys/fs/cgroup/unified/cgroup.procs');

t.test('joining a cgroup that has processes warns as runc', async (t) => {
  const cg = `/ocits-busy-${process.pid}`;
  const dirs = ['pids', 'memory'].map((c) => `/sys/fs/cgroup/${c}${cg}`).filter((d) => fs.existsSync(d.replace(cg, '')));
  for (const d of dirs) fs.mkdirSync(d);
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => { sleeper.kill('SIGKILL'); setTimeout(() => dirs.forEach((d) => { try { fs.rmdirSync(d); } catch { /* busy */ } }), 200); });
  for (const d of dirs) fs.writeFileSync(`${d}/cgroup.procs`, String(sleeper.pid));
  const f = fixture(t, root, ['true'], (c) => { c.linux.cgroupsPath = cg; });
  const r = f.run();
  t.equal(r.status, 0, 'the container runs');
  t.equal(r.stderr, "ocits: warning: container's cgroup is not empty: 1 process(es) found\n");
  t.ok(dirs.every((d) => fs.existsSync(d)), 'the joined cgroups stay');
});

t.test('unified keys for v1-bound controllers fail cleanly', async (t) => {
  if (!requires(t, hybrid, 'needs a hybrid cgroup host (v1 controllers plus /sys/fs/cgroup/unified)')) return;
  const cg = `/ocits-uni-${process.pid}`;
  const f = fixture(t, root, ['true'], (c) => { c.linux.cgroupsPath = cg; c.linux.resources.unified = { 'pids.max': '10' }; });
  const r = f.run();
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: run: linux\.resources\.unified\["pids\.max"\]: the pids controller is bound to a v1 hierarchy on this host\n$/);
  t.same(f.leftovers(), [], 'no cgroup, state or mount left');
});

t.test('without cgroupsPath: <own cgroup>/<id> in each hierarchy, as runc', async (t) => {
  const f = fixture(t, root, ['cat', '/proc/self/cgroup'], (c) => { delete c.linux.cgroupsPath; c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'cgroup'); });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const own = Object.fromEntries(fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n').map((l) => l.split(':')).map(([, c, p]) => [c, p]));
  const seen = r.stdout.trim().split('\n').map((l) => l.split(':'));
  t.ok(seen.length > 1, 'several hierarchies');
  for (const [, c, p] of seen) t.equal(p, `${own[c] === '/' ? '' : own[c]}/${f.id}`, `${c || 'unified'}`);
  t.same(f.leftovers(), []);
});
