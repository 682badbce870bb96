// `events` streams an {"type":"oom"} event when the kernel OOM-kills a process of the container.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { makeBundle, fileRoot, uniqueId, ocits, leftovers, OCITS } from '../lib/bundle.mjs';

const root = fileRoot(t);

t.test('an OOM kill inside the container is reported by events', async (t) => {
  // A subshell grows past the 16 MiB limit (memory+swap) and is OOM-killed; the container goes on.
  const b = makeBundle(['sh', '-c', 'sleep 1; (x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo ${#x}); sleep 2'], (c) => {
    c.linux.resources = { memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } };
  });
  const id = uniqueId('oom');
  t.teardown(() => { ocits(['--root', root, 'delete', '--force', id]); b.cleanup(); });
  t.equal(spawnSync(OCITS, ['--root', root, 'run', '-d', '--bundle', b.dir, id], { stdio: 'ignore' }).status, 0);
  const ev = spawn(OCITS, ['--root', root, 'events', '--interval', '200ms', id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  ev.stdout.on('data', (d) => { out += d; });
  const code = await new Promise((r) => ev.on('exit', r));
  t.equal(code, 0, 'events ends when the container stops');
  const events = out.trim().split('\n').map((l) => JSON.parse(l));
  t.ok(events.filter((e) => e.type === 'stats').length >= 3, 'stats every interval');
  t.same(events.filter((e) => e.type === 'oom'), [{ type: 'oom', id }], 'one OOM event');
  ocits(['--root', root, 'delete', id]);
  t.same(leftovers(root, b.dir, id), []);
});
