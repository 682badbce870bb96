// runc's own default config (`runc spec`) and `ocits spec`, side by side with
// runc: the same files, and the same process inside.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeRootfs, ocits, fileRoot, uniqueId, leftovers } from '../lib/bundle.mjs';
import { runc, runcRun } from '../lib/runc-side.mjs';

const root = fileRoot(t);

function tempDir(t, prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** What may differ: the hostname, ociVersion, and a cgroup namespace. */
function comparable(cfg) {
  const c = structuredClone(cfg);
  delete c.hostname;
  delete c.ociVersion;
  c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'cgroup');
  return c;
}

for (const rootless of [false, true]) {
  const flags = rootless ? ['--rootless'] : [];
  t.test(`ocits spec ${flags.join(' ')} writes what runc spec ${flags.join(' ')} writes, field for field`, async (t) => {
    const theirs = tempDir(t, 'runc-spec-');
    const ours = tempDir(t, 'ocits-spec-');
    const r = runc(['spec', ...flags], { cwd: theirs });
    t.equal(r.status, 0, r.stderr);
    const o = ocits(['spec', ...flags], { cwd: ours });
    t.equal(o.status, 0, o.stderr);
    t.equal(o.stdout + o.stderr, '', 'spec prints nothing');
    const a = JSON.parse(fs.readFileSync(path.join(ours, 'config.json'), 'utf8'));
    const b = JSON.parse(fs.readFileSync(path.join(theirs, 'config.json'), 'utf8'));
    t.same(comparable(a), comparable(b));
    t.equal(a.process.terminal, true);
    t.same(a.process.capabilities.ambient, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    t.equal(fs.statSync(path.join(ours, 'config.json')).mode & 0o777, fs.statSync(path.join(theirs, 'config.json')).mode & 0o777, 'same file mode');
  });
}

t.test('spec -b DIR writes there, and refuses an existing config.json as runc does', async (t) => {
  const dir = tempDir(t, 'ocits-spec-');
  const s = ocits(['spec', '-b', dir]);
  t.equal(s.status, 0, s.stderr);
  const first = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
  t.equal(JSON.parse(first).root.path, 'rootfs');
  fs.writeFileSync(path.join(dir, 'config.json'), '{"mine": true}');
  for (const args of [['spec', '-b', dir], ['spec', '--bundle', dir, '--rootless']]) {
    const again = ocits(args);
    t.equal(again.status, 1, 'exit status 1');
    t.equal(again.stderr, `ocits: spec: File ${path.join(dir, 'config.json')} exists. Remove it first\n`);
    t.equal(runc(args).status, 1, 'runc refuses too');
  }
  t.equal(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), '{"mine": true}', 'the existing file is untouched');
  const missing = path.join(dir, 'nope');
  const m = ocits(['spec', '-b', missing]);
  t.equal(m.status, 1);
  t.equal(m.stderr, `ocits: spec: bundle ${missing}: no such file or directory\n`);
  t.equal(runc(['spec', '-b', missing]).status, 1, 'runc refuses a missing directory too');
  t.notOk(fs.existsSync(missing), 'nothing created');
});

t.test('runc\'s default config starts: ambient caps that cannot be raised are warned about once, and the process sees what runc\'s sees', async (t) => {
  const dir = tempDir(t, 'runc-default-');
  t.equal(runc(['spec'], { cwd: dir }).status, 0);
  makeRootfs(dir);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  cfg.process.terminal = false; // the rest exactly as runc wrote it: ambient caps without inheritable ones
  cfg.process.args = ['sh', '-c', 'grep ^Cap /proc/self/status'];
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  const id = uniqueId('rdef');
  t.teardown(() => ocits(['--root', root, 'delete', '--force', id]));
  const ours = ocits(['--root', root, 'run', '--bundle', dir, id]);
  const theirs = runcRun(t, dir, id);
  t.equal(theirs.status, 0, theirs.stderr);
  t.equal(ours.status, 0, ours.stderr);
  t.match(ours.stdout, /^CapAmb:\t0+$/m);
  t.equal(ours.stdout, theirs.stdout, 'Cap* lines equal to runc\'s');
  const warnings = ours.stderr.split('\n').filter(Boolean);
  t.equal(warnings.length, 1, 'one warning');
  t.match(warnings[0], /^ocits: warning: .*ambient.*CAP_AUDIT_WRITE.*not raised/);
  t.same(leftovers(root, dir, id), []);
});

t.test('ambient caps that are also inheritable and permitted are raised', async (t) => {
  const dir = tempDir(t, 'runc-default-');
  t.equal(runc(['spec'], { cwd: dir }).status, 0);
  makeRootfs(dir);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  cfg.process.terminal = false;
  cfg.process.user = { uid: 1000, gid: 1000 };
  cfg.process.capabilities.inheritable = ['CAP_KILL'];
  cfg.process.args = ['sh', '-c', 'grep ^Cap /proc/self/status'];
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  const id = uniqueId('ramb');
  t.teardown(() => ocits(['--root', root, 'delete', '--force', id]));
  const ours = ocits(['--root', root, 'run', '--bundle', dir, id]);
  const theirs = runcRun(t, dir, id);
  t.equal(ours.status, 0, ours.stderr);
  t.match(ours.stdout, /^CapAmb:\t0+20$/m, 'CAP_KILL (5) ambient for a non-root user');
  t.equal(ours.stdout, theirs.stdout, 'Cap* lines equal to runc\'s');
  t.match(ours.stderr, /CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE not raised/);
  t.notMatch(ours.stderr, /CAP_KILL/);
});
