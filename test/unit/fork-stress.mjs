// The process-creation technique under stress (shared notes/process-model.md):
// thousands of fork()s of a single-threaded Node process whose children run
// JavaScript with garbage collection. A child without its heap dies of SIGSEGV;
// one whose GC waits for uncopied helper threads hangs.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from '../lib/bundle.mjs';

const FORKS = 3000;

t.test(`${FORKS} forks whose children allocate and collect garbage all exit cleanly`, (t) => {
  const r = spawnSync(process.execPath, [
    '--single-threaded', '--v8-pool-size=0', '--expose-gc',
    path.join(REPO, 'test/fixtures/fork-stress-child.js'), path.join(REPO, 'dist/lib/sys/libc.js'), String(FORKS),
  ], { encoding: 'utf8', timeout: 240000, env: { PATH: process.env.PATH } });
  t.equal(r.signal, null, 'the parent was not killed (a hung child would time it out)');
  t.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  t.same(res, { ok: FORKS, crashed: 0, wrong: 0, statuses: { 0: FORKS } });
  t.end();
});
