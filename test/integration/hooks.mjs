// OCI hooks: every kind runs, in order, with the state on stdin, its args and
// env; failures and timeouts fail create (and leave nothing), poststart and
// poststop failures only warn.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixture, fileRoot, ocitsSpawn, until, isRoot } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

/** A host dir for hook output, bind-mounted at /hooks (startContainer runs inside the container's root). */
function hookDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-hooks-'));
  fs.chmodSync(dir, 0o777);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A hook that saves its stdin as <dir>/<name>.json, its net and mount namespaces
 * as <dir>/<name>.ns, and appends its name to <dir>/log.
 */
const recorder = (dir, name, extra = {}) => ({
  path: '/bin/sh',
  args: ['sh', '-c', `cat > ${dir}/${name}.json; for n in net mnt; do readlink /proc/self/ns/$n; done > ${dir}/${name}.ns; echo ${name} >> ${dir}/log`],
  ...extra,
});

const readLog = (dir) => { try { return fs.readFileSync(path.join(dir, 'log'), 'utf8').trim().split('\n'); } catch { return []; } };
const readJson = (dir, name) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));

t.test('every hook kind runs, in order, with the state on stdin', async (t) => {
  const dir = hookDir(t);
  const f = fixture(t, root, ['sh', '-c', 'echo process >> /hooks/log; sleep 30'], (c) => {
    c.mounts.push({ destination: '/hooks', type: 'bind', source: dir, options: ['rbind', 'rw'] });
    c.hooks = {
      prestart: [recorder(dir, 'prestart')],
      createRuntime: [recorder(dir, 'createRuntime'), recorder(dir, 'createRuntime2')],
      createContainer: [recorder(dir, 'createContainer')],
      // Runs after pivot_root: the container's /bin/sh (busybox) and its view of the dir.
      startContainer: [recorder('/hooks', 'startContainer')],
      poststart: [recorder(dir, 'poststart')],
      poststop: [recorder(dir, 'poststop')],
    };
  });
  const bundle = fs.realpathSync(f.b.dir);
  const c = f.create();
  t.equal(c.status, 0, c.stderr);
  const pid = f.state().pid;
  t.same(readLog(dir), ['prestart', 'createRuntime', 'createRuntime2', 'createContainer'], 'after create');
  const nsOf = (name) => fs.readFileSync(path.join(dir, `${name}.ns`), 'utf8').trim().split('\n');
  const hostNs = ['net', 'mnt'].map((n) => fs.readlinkSync(`/proc/self/ns/${n}`));
  const initNs = ['net', 'mnt'].map((n) => fs.readlinkSync(`/proc/${pid}/ns/${n}`));
  t.notSame(initNs, hostNs, 'the container has its own net and mount namespaces');
  for (const name of ['prestart', 'createRuntime']) t.same(nsOf(name), hostNs, `${name} runs in the runtime's namespaces`);
  t.same(nsOf('createContainer'), initNs, "createContainer runs in the container's namespaces");

  t.equal(f.cli('start', f.id).status, 0);
  await until(() => readLog(dir).length >= 7, 10000, 'the start hooks and the process');
  const log = readLog(dir);
  t.same(log.slice(0, 4), ['prestart', 'createRuntime', 'createRuntime2', 'createContainer']);
  t.same(log.filter((l) => l !== 'process'), ['prestart', 'createRuntime', 'createRuntime2', 'createContainer', 'startContainer', 'poststart'], 'startContainer before poststart');
  t.ok(log.indexOf('startContainer') < log.indexOf('process'), 'startContainer runs before the process');
  t.equal(log.length, 7);

  t.same(nsOf('startContainer'), initNs, "startContainer runs in the container's namespaces");
  t.same(nsOf('poststart'), hostNs, "poststart runs in the runtime's namespaces");
  t.equal(f.cli('delete', '--force', f.id).status, 0);
  t.equal(readLog(dir).at(-1), 'poststop', 'poststop runs at delete');
  t.same(nsOf('poststop'), hostNs);
  t.equal(readLog(dir).length, 8);

  for (const name of ['prestart', 'createRuntime', 'createRuntime2']) {
    t.same(readJson(dir, name), { ociVersion: readJson(dir, name).ociVersion, id: f.id, status: 'creating', pid, bundle }, `${name} state`);
  }
  // As runc 1.1 (see the corpus's run-hooks.hook-stdin.txt): the hooks that run in the
  // container see the init's pid there (1 in its own pid namespace), and poststart "created".
  t.match(readJson(dir, 'createContainer'), { id: f.id, bundle, pid: 1, status: 'creating' }, 'createContainer state');
  t.match(readJson(dir, 'startContainer'), { id: f.id, bundle, pid: 1, status: 'created' }, 'startContainer state');
  t.match(readJson(dir, 'poststart'), { id: f.id, status: 'created', pid, bundle });
  const stop = readJson(dir, 'poststop');
  t.match(stop, { id: f.id, status: 'stopped', bundle });
  t.match(readJson(dir, 'prestart').ociVersion, /^1\.\d+\.\d+/);
  t.same(f.leftovers(), []);
});

t.test('a hook gets exactly its args and env', async (t) => {
  const dir = hookDir(t);
  const f = fixture(t, root, ['true'], (c) => {
    const script = `echo "$(head -c 10 /proc/$$/cmdline)|$0|$1|$HOOK_B" > ${dir}/args; env | sort > ${dir}/env`;
    c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['hook-argv0', '-c', script, 'zero', 'first'], env: ['HOOK_A=1', 'HOOK_B=two words'] }] };
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(fs.readFileSync(path.join(dir, 'args'), 'utf8'), 'hook-argv0|zero|first|two words\n');
  const env = fs.readFileSync(path.join(dir, 'env'), 'utf8').trim().split('\n').filter((l) => !/^(PWD|SHLVL|_)=/.test(l));
  t.same(env, ['HOOK_A=1', 'HOOK_B=two words'], 'no environment of the runtime leaks');
});

for (const kind of ['prestart', 'createRuntime', 'createContainer']) {
  t.test(`a failing ${kind} hook fails create, clearly, and leaves nothing`, async (t) => {
    const dir = hookDir(t);
    const f = fixture(t, root, ['sh', '-c', `touch ${dir}/process-ran`], (c) => {
      c.hooks = { [kind]: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }], poststop: [recorder(dir, 'poststop')] };
    });
    const c = f.create();
    t.equal(c.status, 1);
    t.match(c.stderr, new RegExp(`^ocits: create: ${kind} hook #0 \\(/bin/sh\\) exited with status 3\\n$`));
    t.equal(f.state(), null, 'no container');
    t.same(f.leftovers(), []);
    t.notOk(fs.existsSync(path.join(dir, 'process-ran')));
  });
}

t.test('a hook that does not exist fails create', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.hooks = { createRuntime: [{ path: '/no/such/hook' }] }; });
  const r = f.run();
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: .*createRuntime hook #0 \(\/no\/such\/hook\)/);
  t.same(f.leftovers(), []);
});

t.test('a hook that times out is killed and fails create', async (t) => {
  const marker = `${30 + (process.pid % 1000) / 1000}`;
  const f = fixture(t, root, ['true'], (c) => { c.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', marker], timeout: 1 }] }; });
  const start = Date.now();
  const c = f.create();
  const took = Date.now() - start;
  t.equal(c.status, 1);
  t.match(c.stderr, /^ocits: create: createRuntime hook #0 \(\/bin\/sleep\) timed out after 1s\n$/);
  t.ok(took < 10000, `create gave up after the timeout (${took} ms)`);
  const sleeping = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).some((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === `sleep\0${marker}\0`; } catch { return false; }
  });
  t.notOk(sleeping, 'the hook process is gone');
  t.same(f.leftovers(), []);
});

t.test('a failing poststart hook only warns; the container runs', async (t) => {
  const dir = hookDir(t);
  const f = fixture(t, root, ['sh', '-c', `touch ${'/hooks'}/process-ran; sleep 30`], (c) => {
    c.mounts.push({ destination: '/hooks', type: 'bind', source: dir, options: ['rbind', 'rw'] });
    c.hooks = { poststart: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 4'] }] };
  });
  t.equal(f.create().status, 0);
  const s = f.cli('start', f.id);
  t.equal(s.status, 0, 'start succeeds');
  t.match(s.stderr, /^ocits: warning: poststart hook #0 \(\/bin\/sh\) exited with status 4\n$/);
  await until(() => fs.existsSync(path.join(dir, 'process-ran')), 10000, 'the process');
  t.equal(f.state().status, 'running');
});

t.test('a failing poststop hook only warns; delete completes and later hooks run', async (t) => {
  const dir = hookDir(t);
  const f = fixture(t, root, ['true'], (c) => {
    c.hooks = { poststop: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 5'] }, recorder(dir, 'poststop2')] };
  });
  t.equal(f.create().status, 0);
  t.equal(f.cli('start', f.id).status, 0);
  await until(() => f.state()?.status === 'stopped', 10000, 'stopped');
  const d = f.cli('delete', f.id);
  t.equal(d.status, 0, 'delete succeeds');
  t.match(d.stderr, /^ocits: warning: poststop hook #0 \(\/bin\/sh\) exited with status 5\n$/);
  t.same(readLog(dir), ['poststop2'], 'the next poststop hook still ran');
  t.equal(f.state(), null);
  t.same(f.leftovers(), []);
});

t.test('poststop runs when `run` removes the container', async (t) => {
  const dir = hookDir(t);
  const f = fixture(t, root, ['true'], (c) => { c.hooks = { poststop: [recorder(dir, 'poststop')] }; });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.same(readLog(dir), ['poststop']);
  t.match(readJson(dir, 'poststop'), { id: f.id, status: 'stopped' });
});

t.test('a failing startContainer hook fails start; the process never runs', async (t) => {
  const dir = hookDir(t);
  const f = fixture(t, root, ['sh', '-c', 'touch /hooks/process-ran'], (c) => {
    c.mounts.push({ destination: '/hooks', type: 'bind', source: dir, options: ['rbind', 'rw'] });
    c.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 6'] }], poststart: [recorder('/nonexistent-poststart', 'poststart')] };
  });
  const c = f.create();
  t.equal(c.status, 0);
  const s = f.cli('start', f.id);
  t.equal(s.status, 1, 'start fails');
  t.match(s.stderr, /^ocits: start: [^\n]*startContainer[^\n]*\n$/, 'one line naming the startContainer hooks');
  // The init reports the hook's own error on the container's stderr (what create was given).
  t.match(c.err(), /startContainer hook #0 \(\/bin\/sh\) exited with status 6/);
  await until(() => f.state()?.status === 'stopped', 5000, 'stopped');
  t.notOk(fs.existsSync(path.join(dir, 'process-ran')), 'the process never ran');
  t.equal(f.cli('delete', f.id).status, 0);
  t.same(f.leftovers(), []);
});

t.test('a failing startContainer hook makes run fail', async (t) => {
  const dir = hookDir(t);
  const f = fixture(t, root, ['sh', '-c', 'touch /hooks/process-ran'], (c) => {
    c.mounts.push({ destination: '/hooks', type: 'bind', source: dir, options: ['rbind', 'rw'] });
    c.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 6'] }] };
  });
  const child = ocitsSpawn(['--root', root, 'run', '--bundle', f.b.dir, f.id]);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((resolve) => child.on('close', resolve));
  t.equal(code, 1, 'run fails');
  t.match(stderr, /startContainer hook #0 \(\/bin\/sh\) exited with status 6/);
  t.notOk(fs.existsSync(path.join(dir, 'process-ran')), 'the process never ran');
  t.same(f.leftovers(), []);
});
