// bin/ocits, the launcher: started by absolute path, relative path, through a
// symlink and through PATH, from the snapshot or (node newer than the
// snapshot, or no snapshot) from dist/ocits.js; it drops NODE_OPTIONS and
// NODE_EXTRA_CA_CERTS, and koffi is loaded in every case.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, OCITS, makeBundle, uniqueId, ocitsEnv, leftovers } from '../lib/bundle.mjs';

function lifecycle(t, argv0, opts = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-root-'));
  const b = makeBundle(['sh', '-c', 'echo $$']);
  const id = uniqueId();
  const env = ocitsEnv({ NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem', NODE_OPTIONS: '--require /nonexistent/hook.js', ...opts.env });
  const run = spawnSync(argv0, ['--root', root, 'run', '--bundle', b.dir, id], { encoding: 'utf8', cwd: opts.cwd, env });
  // node would fail on that NODE_OPTIONS, and warn about that NODE_EXTRA_CA_CERTS.
  t.equal(run.stderr, '', 'no warning or error: NODE_OPTIONS and NODE_EXTRA_CA_CERTS were dropped');
  t.equal(run.stdout, '1\n', 'the container ran as pid 1');
  t.equal(run.status, 0);
  t.same(leftovers(root, b.dir, id), []);
  b.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
}

t.test('by absolute path', (t) => { lifecycle(t, OCITS); t.end(); });
t.test('by a path relative to the working directory', (t) => { lifecycle(t, 'bin/ocits', { cwd: REPO }); t.end(); });

t.test('through a symlink elsewhere, and through PATH', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-link-'));
  fs.symlinkSync(OCITS, path.join(dir, 'runtime'));
  lifecycle(t, path.join(dir, 'runtime'), { cwd: '/' });
  lifecycle(t, 'runtime', { cwd: '/', env: { PATH: `${dir}:${process.env.PATH}` } });
  fs.rmSync(dir, { recursive: true, force: true });
  t.end();
});

t.test('from dist/ocits.js when the snapshot is older than node', (t) => {
  // A copy of the launcher next to a dist whose snapshot is dated before node's mtime.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-old-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'dist'));
  fs.copyFileSync(OCITS, path.join(dir, 'bin/ocits'));
  fs.chmodSync(path.join(dir, 'bin/ocits'), 0o755);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  for (const f of ['ocits.js', 'koffi-native.json']) fs.copyFileSync(path.join(REPO, 'dist', f), path.join(dir, 'dist', f));
  const blob = path.join(dir, 'dist/ocits.blob');
  fs.writeFileSync(blob, 'not a snapshot');
  const nodeTime = fs.statSync(fs.realpathSync(process.execPath)).mtime;
  fs.utimesSync(blob, new Date(nodeTime.getTime() - 60000), new Date(nodeTime.getTime() - 60000));
  lifecycle(t, path.join(dir, 'bin/ocits'));
  fs.rmSync(dir, { recursive: true, force: true });
  t.end();
});
