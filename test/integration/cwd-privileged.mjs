// A non-root process starts in a cwd only root can enter: the runtime changes
// directory before it drops privileges (as runc). Side by side with runc.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot, OCITS, ocitsEnv } from '../lib/bundle.mjs';
import { runcRun } from '../lib/runc-side.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

function secretDir(f) {
  const d = path.join(f.b.rootfs, 'secret');
  fs.mkdirSync(d);
  fs.chownSync(d, 0, 0);
  fs.chmodSync(d, 0o700);
}

t.test('run: user 1000 in a 0700 root-owned cwd', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'pwd; id -u; ls . >/dev/null 2>&1 || echo "cannot list"'], (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.cwd = '/secret';
  });
  secretDir(f);
  const r = f.run();
  t.equal(r.stderr, '');
  t.equal(r.status, 0);
  t.equal(r.stdout, '/secret\n1000\ncannot list\n', 'in the cwd, as uid 1000, which cannot read it');
  const theirs = runcRun(t, f.b.dir, f.id);
  t.equal(r.stdout, theirs.stdout, 'the same as runc');
});

t.test('exec -u 1000 --cwd into a 0700 root-owned dir', async (t) => {
  const f = fixture(t, root, ['sleep', '60']);
  secretDir(f);
  t.equal(spawnSync(OCITS, ['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], { stdio: 'ignore', env: ocitsEnv() }).status, 0);
  const e = f.cli('exec', '-u', '1000:1000', '--cwd', '/secret', f.id, 'sh', '-c', 'pwd; id -u');
  t.equal(e.stderr, '');
  t.equal(e.status, 0);
  t.equal(e.stdout, '/secret\n1000\n');
});

t.test('a cwd that does not exist is still an error', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.process.user = { uid: 1000, gid: 1000 }; c.process.cwd = '/nope'; });
  const r = f.run();
  t.equal(r.status, 1);
  t.match(r.stderr, /\/nope: no such file or directory/);
  t.same(f.leftovers(), []);
});
