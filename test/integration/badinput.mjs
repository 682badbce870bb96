// Bad input: every failure is exit status 1 with one line "ocits: ..." on
// stderr that says what is wrong, and leaves nothing behind; an existing
// container with the same id is untouched.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixture, fileRoot, ocits, ocitsSpawn, ocitsEnv, until, isRoot } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

/** Exit status 1 and exactly one stderr line "ocits: ..." matching `re`. */
function failsWith(t, r, re, what = 'the error') {
  if (process.env.SHOW_ERRORS) t.comment(`${what}: ${r.stderr.trim()}`);
  t.equal(r.status, 1, `${what}: exit status 1`);
  t.match(r.stderr, /^ocits: [^\n]+\n$/, `${what}: one line starting "ocits: " (${JSON.stringify(r.stderr)})`);
  t.match(r.stderr, re, what);
}

t.test('missing bundle directory', async (t) => {
  const f = fixture(t, root, ['true']);
  const missing = path.join(f.b.dir, 'nope');
  const r = ocits(['--root', root, 'create', '--bundle', missing, f.id]);
  failsWith(t, r, /bundle .*nope.* does not exist/);
  t.same(f.leftovers(), []);
});

t.test('missing config.json', async (t) => {
  const f = fixture(t, root, ['true']);
  fs.rmSync(path.join(f.b.dir, 'config.json'));
  failsWith(t, f.run(), /config\.json: no such file or directory/);
  t.same(f.leftovers(), []);
});

t.test('missing rootfs', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.root.path = 'no-rootfs-here'; });
  failsWith(t, f.run(), /no-rootfs-here/);
  t.same(f.leftovers(), []);
});

t.test('invalid JSON: the message has line and column', async (t) => {
  const f = fixture(t, root, ['true']);
  fs.writeFileSync(path.join(f.b.dir, 'config.json'), '{\n  "ociVersion": "1.2.0",\n  "process": { "args": ["true"], }\n}\n');
  failsWith(t, f.run(), /config\.json.*line 3.*column \d+/i);
  t.same(f.leftovers(), []);
});

t.test('schema violation: the message has the JSON path', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.process.args = 'true'; });
  failsWith(t, f.run(), /\/process\/args/);
  t.same(f.leftovers(), []);
  const g = fixture(t, root, ['true'], (c) => { c.linux.namespaces.push({ type: 'bogus' }); });
  failsWith(t, g.run(), /\/linux\/namespaces\/\d+\/type/);
  t.same(g.leftovers(), []);
  const h = fixture(t, root, ['true'], (c) => { c.linux.maskedPaths = ['relative/path']; });
  failsWith(t, h.run(), /\/linux\/maskedPaths\/0: must be an absolute path/);
  t.same(h.leftovers(), []);
});

t.test('invalid container ids', async (t) => {
  const f = fixture(t, root, ['true']);
  for (const id of ['../escape', 'a/b', '.', '..', 'sp ace']) {
    failsWith(t, ocits(['--root', root, 'create', '--bundle', f.b.dir, id]), /container id|invalid/, `id ${JSON.stringify(id)}`);
  }
  t.notOk(fs.existsSync(path.join(path.dirname(root), 'escape')), 'nothing created outside the root');
});

t.test('unknown id: start, state, kill, delete', async (t) => {
  for (const cmd of [['start'], ['state'], ['kill'], ['kill', '--all'], ['delete']]) {
    failsWith(t, ocits(['--root', root, ...cmd, 'no-such-id']), /does not exist/, cmd.join(' '));
  }
  t.same(fs.readdirSync(root).filter((n) => n.includes('no-such-id')), [], 'no lock file left for the id');
  // A root that did not exist is not left behind either (nor the parents the command made).
  const fresh = path.join(root, 'not-yet', 'root');
  for (const cmd of [['start'], ['kill'], ['pause'], ['delete'], ['delete', '--force']]) {
    const r = ocits(['--root', fresh, ...cmd, 'no-such-id']);
    if (cmd[1] === '--force') t.equal(r.status, 0, 'delete --force of an unknown id succeeds');
    else failsWith(t, r, /does not exist/, `${cmd.join(' ')} under a new root`);
  }
  t.notOk(fs.existsSync(path.join(root, 'not-yet')), 'the root and its parent were removed again');
});

t.test('duplicate id: the existing container is untouched', async (t) => {
  const f = fixture(t, root, ['sleep', '30']);
  t.equal(f.create().status, 0);
  const before = f.state();
  const other = fixture(t, root, ['true']);
  const dup = ocits(['--root', root, 'create', '--bundle', other.b.dir, f.id]);
  failsWith(t, dup, new RegExp(`"${f.id}" already exists`), 'create');
  t.same(f.state(), before, 'still created, same pid and bundle');
  t.equal(f.cli('start', f.id).status, 0);
  failsWith(t, ocits(['--root', root, 'run', '--bundle', other.b.dir, f.id]), /already exists/, 'run');
  const after = f.state();
  t.equal(after.status, 'running', 'still running');
  t.equal(after.pid, before.pid);
  t.ok(fs.existsSync(`/proc/${before.pid}`));
});

t.test('executable not found', async (t) => {
  const f = fixture(t, root, ['no-such-binary']);
  const r = f.run();
  failsWith(t, r, /executable file not found/);
  t.match(r.stderr, /no-such-binary/);
  t.same(f.leftovers(), []);
  const g = fixture(t, root, ['/bin/no-such-binary']);
  failsWith(t, g.run(), /\/bin\/no-such-binary.*no such file or directory/);
  t.same(g.leftovers(), []);
});

// podman maps "permission denied" to exit 126 and a missing file to 127.
t.test('a file that is not executable: "permission denied"', async (t) => {
  const h = fixture(t, root, ['/etc/passwd']);
  failsWith(t, h.run(), /\/etc\/passwd.*permission denied/, 'not executable');
  t.same(h.leftovers(), []);
});

t.test('missing cwd', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.process.cwd = '/no/such/dir'; });
  failsWith(t, f.run(), /\/no\/such\/dir/);
  t.same(f.leftovers(), []);
});

t.test('missing mount source', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.mounts.push({ destination: '/data', type: 'bind', source: '/no/such/source', options: ['bind'] }); });
  failsWith(t, f.run(), /\/no\/such\/source.*no such file or directory/);
  t.same(f.leftovers(), []);
});

t.test('create of a terminal container without a console socket', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.process.terminal = true; });
  failsWith(t, f.create(), /terminal.*console-socket/);
  t.same(f.leftovers(), []);
});

t.test('unknown signal: the container keeps running', async (t) => {
  const f = fixture(t, root, ['sleep', '30']);
  t.equal(f.create().status, 0);
  t.equal(f.cli('start', f.id).status, 0);
  for (const sig of ['SIGFOO', 'FOO', '99', '-1', '']) {
    failsWith(t, f.cli('kill', f.id, sig), /signal/i, `kill ${JSON.stringify(sig)}`);
  }
  t.equal(f.state().status, 'running');
});

t.test('delete of a running container without --force: it keeps running', async (t) => {
  const f = fixture(t, root, ['sleep', '30']);
  t.equal(f.create().status, 0);
  t.equal(f.cli('start', f.id).status, 0);
  failsWith(t, f.cli('delete', f.id), /running/);
  const st = f.state();
  t.equal(st.status, 'running');
  t.ok(fs.existsSync(`/proc/${st.pid}`));
  t.equal(f.cli('delete', '--force', f.id).status, 0);
  t.same(f.leftovers(), []);
});

t.test('delete of a created container without --force removes it (as runc does)', async (t) => {
  const f = fixture(t, root, ['sleep', '30']);
  t.equal(f.create().status, 0);
  const pid = f.state().pid;
  const r = f.cli('delete', f.id);
  t.equal(r.status, 0, r.stderr);
  t.equal(f.state(), null, 'deleted');
  t.notOk(fs.existsSync(`/proc/${pid}/exe`) && fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z', 'the init is gone');
  t.same(f.leftovers(), []);
});

t.test('create killed with SIGKILL half-way; delete --force removes every trace', async (t) => {
  const dir = fs.mkdtempSync(path.join(root, '..', 'ocits-half-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const marker = path.join(dir, 'hook-running');
  const f = fixture(t, root, ['true'], (c) => {
    c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${marker}; exec sleep 30`] }] };
  });
  const child = ocitsSpawn(['--root', root, 'create', '--bundle', f.b.dir, f.id], { stdio: 'ignore', env: ocitsEnv() });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal)));
  await until(() => fs.existsSync(marker), 10000, 'the createRuntime hook');
  child.kill('SIGKILL');
  t.equal(await exited, 'SIGKILL');
  t.ok(fs.existsSync(path.join(root, f.id)), 'the half-made state dir is there');
  const d = f.cli('delete', '--force', f.id);
  t.equal(d.status, 0, `delete --force: ${d.stderr}`);
  // The init and the hook may take a moment to notice the runtime is gone.
  await until(() => f.leftovers().length === 0, 5000, 'no leftovers').catch(() => {});
  t.same(f.leftovers(), [], 'no state dir, cgroup, mount or process left');
  const hookAlive = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).some((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker); } catch { return false; }
  });
  t.notOk(hookAlive, 'the hook is gone too');
  t.notOk(fs.existsSync(path.join(root, `.${f.id}.lock`)), 'no lock file');
  t.equal(f.state(), null);
});
