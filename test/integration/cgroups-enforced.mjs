// linux.resources enforced on real containers (cgroup v1 on this machine, pure v2 in test:v2's guest):
// a memory hog is OOM-killed (run exits 137), a fork bomb stops at pids.limit,
// a CPU quota throttles (visible in events --stats), and nothing is left after.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { makeBundle, fileRoot, uniqueId, ocits, leftovers, OCITS } from '../lib/bundle.mjs';
import { insideCat } from '../lib/cgroup-files.mjs';

const root = fileRoot(t);

function runWith(t, args, resources) {
  const b = makeBundle(args, (c) => { c.linux.resources = { ...c.linux.resources, ...resources }; });
  const id = uniqueId('res');
  t.teardown(() => { ocits(['--root', root, 'delete', '--force', id]); b.cleanup(); });
  return { b, id, r: ocits(['--root', root, 'run', '--bundle', b.dir, id], { timeout: 60000 }) };
}

t.test('a memory hog beyond memory.limit is OOM-killed: run exits 137', (t) => {
  const { b, id, r } = runWith(t, ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived ${#x}'],
    { memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } });
  t.equal(r.status, 137, `killed by SIGKILL (${r.stdout}${r.stderr})`);
  t.notMatch(r.stdout, /survived/);
  t.same(leftovers(root, b.dir, id), []);
  t.end();
});

t.test('a fork bomb is stopped by pids.limit', (t) => {
  // 40 background sleeps under a limit of 20: the forks past it fail and the count stays at the limit.
  const { b, id, r } = runWith(t, ['sh', '-c', `(for i in $(seq 40); do sleep 5 & done) 2>/dev/null; ${insideCat('pids.current', 'pids.max')}; kill -9 -1; exit 0`],
    { pids: { limit: 20 } });
  t.equal(r.status, 0, r.stderr);
  const [current, max] = r.stdout.trim().split('\n');
  t.equal(max, '20');
  t.ok(Number(current) <= 20 && Number(current) >= 15, `pids.current ${current} held at the limit`);
  t.same(leftovers(root, b.dir, id), []);
  t.end();
});

t.test('a CPU quota throttles a busy loop, as events --stats shows', async (t) => {
  const b = makeBundle(['sh', '-c', 'while :; do :; done'], (c) => { c.linux.resources = { ...c.linux.resources, cpu: { quota: 10000, period: 100000 } }; });
  const id = uniqueId('cpu');
  t.teardown(() => { ocits(['--root', root, 'delete', '--force', id]); b.cleanup(); });
  t.equal(spawnSync(OCITS, ['--root', root, 'run', '-d', '--bundle', b.dir, id], { stdio: 'ignore' }).status, 0);
  await new Promise((r) => setTimeout(r, 1500));
  const inside = ocits(['--root', root, 'exec', id, 'sh', '-c', insideCat('cpu.cfs_quota_us', 'cpu.cfs_period_us')]);
  t.equal(inside.stdout, '10000\n100000\n', 'quota and period inside the container');
  const stats = JSON.parse(ocits(['--root', root, 'events', '--stats', id]).stdout);
  t.ok(stats.data.cpu.throttling.throttled_periods > 5, `throttled ${stats.data.cpu.throttling.throttled_periods} periods`);
  t.equal(ocits(['--root', root, 'delete', '--force', id]).status, 0);
  t.same(leftovers(root, b.dir, id), []);
});
