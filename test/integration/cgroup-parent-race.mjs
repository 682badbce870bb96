// Containers without cgroupsPath share the default parent /ocits, which the last
// container out removes. Runs that start while others finish must not lose the
// race (mkdir .../ocits/<id>: ENOENT once /ocits was removed under them): 3 rounds
// of 20 parallel `run`s, each exiting 0, and nothing left behind. The race is not
// certain to occur in a given round; it showed in 1 of 20 parallel runs under load.
import t from 'tap';
import { spawn } from 'node:child_process';
import { isRoot, makeBundle, makeRoot, OCITS, ocitsEnv, leftovers } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
if (!isRoot) process.exit(1);

const runOne = (root, dir, id) => new Promise((resolve) => {
  const c = spawn(OCITS, ['--root', root, 'run', '--bundle', dir, id], { stdio: ['ignore', 'ignore', 'pipe'], env: ocitsEnv() });
  let err = '';
  c.stderr.on('data', (d) => { err += d; });
  c.on('exit', (code, signal) => resolve({ id, code, signal, err: err.trim() }));
});

t.test('parallel runs under the default cgroup parent', async (t) => {
  const b = makeBundle(['true']);
  const root = makeRoot();
  t.teardown(() => b.cleanup());
  for (let round = 0; round < 3; round++) {
    const ids = Array.from({ length: 20 }, (_, k) => `race-${process.pid}-${round}-${k}`);
    const results = await Promise.all(ids.map((id) => runOne(root, b.dir, id)));
    const failed = results.filter((r) => r.code !== 0);
    t.same(failed, [], `round ${round}: every run exits 0`);
    t.same(ids.flatMap((id) => leftovers(root, b.dir, id)), [], `round ${round}: nothing left behind`);
  }
});
