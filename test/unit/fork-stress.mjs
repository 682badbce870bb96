// The process-creation technique under stress (shared notes/process-model.md):
// thousands of fork()s of a single-threaded Node process whose children run
// JavaScript with garbage collection. A child without its heap dies of SIGSEGV;
// one whose GC waits for uncopied helper threads hangs. Run twice: as a plain
// script, and from a V8 start-up snapshot built with the CLI's flags, the way
// bin/ocits starts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { REPO } from '../lib/bundle.mjs';

const FORKS = 3000;
const SNAPSHOT_FORKS = 1000;
const NODE_FLAGS = ['--single-threaded', '--v8-pool-size=0', '--expose-gc'];
const FIXTURE = path.join(REPO, 'test/fixtures/fork-stress-child.js');

function check(t, r, n) {
  t.equal(r.signal, null, 'the parent was not killed (a hung child would time it out)');
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout || 'null'), { ok: n, crashed: 0, wrong: 0, statuses: { 0: n } });
}

t.test(`${FORKS} forks whose children allocate and collect garbage all exit cleanly`, (t) => {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, FIXTURE, path.join(REPO, 'dist/lib/sys/libc.js'), String(FORKS)],
    { encoding: 'utf8', timeout: 240000, env: { PATH: process.env.PATH } });
  check(t, r, FORKS);
  t.end();
});

t.test(`${SNAPSHOT_FORKS} forks from a start-up snapshot exit cleanly too`, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-forksnap-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const entry = [
    "const v8 = require('node:v8');",
    "const { createRequire } = require('node:module');",
    `const { stress } = require(${JSON.stringify(FIXTURE)});`,
    `const libc = require(${JSON.stringify(path.join(REPO, 'src/sys/libc.ts'))});`,
    `const { configureKoffiLoading } = require(${JSON.stringify(path.join(REPO, 'src/sys/koffi.ts'))});`,
    'v8.startupSnapshot.setDeserializeMainFunction(() => {',
    '  configureKoffiLoading({ require: createRequire(process.argv[1]) });',
    '  process.stdout.write(JSON.stringify(stress(libc, Number(process.argv[2]))));',
    '});',
  ].join('\n');
  const script = path.join(dir, 'entry.js');
  await esbuild.build({
    stdin: { contents: entry, resolveDir: REPO, loader: 'js' },
    outfile: script, bundle: true, platform: 'node', format: 'cjs', external: ['koffi'], logLevel: 'error',
  });
  const blob = path.join(dir, 'stress.blob');
  const b = spawnSync(process.execPath, [...NODE_FLAGS, '--no-warnings', '--snapshot-blob', blob, '--build-snapshot', script],
    { encoding: 'utf8', env: { PATH: process.env.PATH } });
  t.equal(b.status, 0, `snapshot built: ${b.stderr}`);
  const r = spawnSync(process.execPath, [...NODE_FLAGS, '--snapshot-blob', blob, path.join(REPO, 'bin/ocits'), String(SNAPSHOT_FORKS)],
    { encoding: 'utf8', timeout: 240000, env: { PATH: process.env.PATH } });
  check(t, r, SNAPSHOT_FORKS);
});
