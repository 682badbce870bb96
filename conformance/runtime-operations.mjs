// runtime.md "Operations" (create, start, kill, delete) and "Errors".
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { clause, fixture, isRoot, sleep, nsOf, cmdline, waitFor, makeBundle, resultsMount, tmpDir, parseMountinfo, refused } from './lib/harness.mjs';

t.ok(isRoot, 'conformance tests run as root');

const entries = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.startsWith('.')) : []);
const lines = (s) => (s ?? '').split('\n').filter(Boolean).length;

// ---- Create ----

clause('runtime.md Create: this operation MUST generate an error if it is not provided the container ID', async (t) => {
  const c = fixture(t, ['true']);
  const r = c.cli(['create', '--bundle', c.b.dir]);
  refused(t, r, 'create', /missing required argument 'id'/, c);
  t.same(entries(c.root), [], 'no container created');
});

clause('runtime.md Create: this operation MUST generate an error if it is not provided a path to a bundle', async (t) => {
  const c = fixture(t, ['true']);
  const r = c.cli(['create', '--bundle', path.join(c.b.dir, 'no-such-bundle'), c.id]);
  refused(t, r, 'create', /bundle .*no-such-bundle does not exist/, c);
  const r2 = c.cli(['create', c.id], { cwd: c.b.rootfs });
  refused(t, r2, 'create', /config\.json: no such file or directory/, c);
  t.equal(c.state(), null, 'no container created');
});

clause('runtime.md Create: if the ID is not unique, the runtime MUST generate an error and a new container MUST NOT be created (the existing one is unchanged)', async (t) => {
  const c = fixture(t, ['sh', '-c', 'echo first >> /results/ran; sleep 30']);
  t.equal(c.create().status, 0);
  const before = c.state();
  const other = makeBundle(['sh', '-c', 'echo second >> /results/ran; sleep 30'], (cfg) => { cfg.mounts.push(resultsMount(c.results)); return cfg; });
  t.teardown(other.cleanup);
  const r = c.cli(['create', '--bundle', other.dir, c.id]);
  refused(t, r, 'create', new RegExp(`container with id "${c.id}" already exists`));
  t.same(c.state(), before, 'the existing container state is unchanged');
  t.ok(fs.existsSync(`/proc/${before.pid}`), 'its process is alive');
  t.equal(c.start().status, 0, 'and it can still be started');
  t.ok(await c.waitFile('ran'));
  await sleep(300);
  t.equal(c.read('ran'), 'first\n', 'running its own program, once');
});

clause('runtime.md Create: if the ID is not valid, the runtime MUST generate an error and a new container MUST NOT be created', async (t) => {
  const c = fixture(t, ['true']);
  for (const bad of ['../escape', 'a/b', '..', '.']) {
    const r = c.cli(['create', '--bundle', c.b.dir, bad]);
    refused(t, r, 'create', /invalid container id/);
  }
  t.same(entries(c.root), [], 'nothing created in the state root');
  t.notOk(fs.existsSync(path.join(path.dirname(c.root), 'escape')), 'nor beside it');
});

clause('runtime.md Create: all of the properties configured in config.json except process MUST be applied by create', async (t) => {
  const c = fixture(t, ['sleep', '30'], (cfg) => {
    cfg.hostname = 'conformance-host';
    cfg.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
  });
  fs.writeFileSync(path.join(c.b.rootfs, 'conformance-marker'), c.id);
  t.equal(c.create().status, 0);
  const pid = c.state()?.pid;
  for (const ns of ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup']) t.not(nsOf(pid, ns), nsOf(process.pid, ns), `new ${ns} namespace`);
  t.equal(fs.readFileSync(`/proc/${pid}/root/conformance-marker`, 'utf8'), c.id, 'root is the bundle rootfs');
  const mounts = parseMountinfo(fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
  t.equal(mounts.find((m) => m.mountPoint === '/scratch')?.fstype, 'tmpfs', 'the configured tmpfs is mounted');
  t.ok(mounts.some((m) => m.mountPoint === '/results'), 'the configured bind mount is mounted');
  const h = spawnSync('nsenter', ['-t', String(pid), '-u', 'hostname'], { encoding: 'utf8' });
  t.equal(h.stdout.trim(), 'conformance-host', 'the hostname is set');
});

clause('runtime.md Create: process.args MUST NOT be applied until triggered by the start operation', async (t) => {
  const c = fixture(t, ['sleep', '30']);
  t.equal(c.create().status, 0);
  const pid = c.state()?.pid;
  await sleep(300);
  t.not(cmdline(pid)?.[0], 'sleep', 'the container process is not running the args after create');
  t.equal(c.start().status, 0);
  t.ok(await waitFor(() => cmdline(pid)?.[0] === 'sleep', 3000), 'it runs them after start');
});

clause('runtime.md Create: if the runtime cannot apply a property as specified, it MUST generate an error and a new container MUST NOT be created', async (t) => {
  const c = fixture(t, ['true'], (cfg) => { cfg.linux.sysctl = { 'net.ipv4.ocits_no_such_sysctl': '1' }; });
  const r = c.create();
  refused(t, r, 'create', /net\.ipv4\.ocits_no_such_sysctl/, c);
  t.equal(c.state(), null, 'no container');
  t.same(c.leftovers(), [], 'no traces');
});

// ---- Start ----

clause('runtime.md Start: this operation MUST generate an error if it is not provided the container ID', async (t) => {
  const c = fixture(t, ['true']);
  refused(t, c.cli(['start']), 'start', /missing required argument 'id'/);
});

clause('runtime.md Start: attempting to start a container that does not exist MUST generate an error', async (t) => {
  const c = fixture(t, ['true']);
  refused(t, c.start(`${c.id}-missing`), 'start', new RegExp(`container "${c.id}-missing" does not exist`));
});

clause('runtime.md Start: attempting to start a container that is not created (running) MUST have no effect on the container and MUST generate an error', async (t) => {
  const c = fixture(t, ['sh', '-c', 'echo x >> /results/ran; exec sleep 30']);
  t.equal(c.create().status, 0);
  t.equal(c.start().status, 0);
  t.ok(await c.waitFile('ran'));
  const before = c.state();
  refused(t, c.start(), 'start', /cannot start a container that is already running/);
  await sleep(300);
  t.same(c.state(), before, 'state unchanged');
  t.equal(lines(c.read('ran')), 1, 'the program did not run again');
});

clause('runtime.md Start: attempting to start a container that is not created (stopped) MUST have no effect on the container and MUST generate an error', async (t) => {
  const c = fixture(t, ['sh', '-c', 'echo x >> /results/ran']);
  t.equal(c.create().status, 0);
  t.equal(c.start().status, 0);
  const before = await c.waitStatus('stopped');
  refused(t, c.start(), 'start', /cannot start a container that is stopped/);
  await sleep(300);
  t.same(c.state(), before, 'still stopped');
  t.equal(lines(c.read('ran')), 1, 'the program did not run again');
});

clause('runtime.md Start: this operation MUST generate an error if process was not set', async (t) => {
  const c = fixture(t, ['true'], (cfg) => { delete cfg.process; });
  c.create(); // MAY fail already (the runtime MAY validate config.json)
  const r = c.start();
  refused(t, r, 'start', /process|does not exist/);
});

// ---- Kill ----

clause('runtime.md Kill: this operation MUST generate an error if it is not provided the container ID', async (t) => {
  const c = fixture(t, ['true']);
  refused(t, c.cli(['kill']), 'kill', /missing required argument 'id'/);
});

clause('runtime.md Kill: signalling a container that does not exist MUST generate an error', async (t) => {
  const c = fixture(t, ['true']);
  refused(t, c.kill('TERM', `${c.id}-missing`), 'kill', new RegExp(`container "${c.id}-missing" does not exist`));
});

clause('runtime.md Kill: signalling a container that is neither created nor running (stopped) MUST have no effect on the container and MUST generate an error', async (t) => {
  const c = fixture(t, ['true']);
  t.equal(c.create().status, 0);
  t.equal(c.start().status, 0);
  const before = await c.waitStatus('stopped');
  refused(t, c.kill('TERM'), 'kill', /container not running/);
  t.same(c.state(), before, 'state unchanged');
  t.equal(c.del().status, 0, 'the container can still be deleted');
});

clause('runtime.md Kill: this operation MUST send the specified signal to the container process (running)', async (t) => {
  const script = 'trap "echo USR1 >> /results/sig" USR1; trap "echo USR2 >> /results/sig" USR2; touch /results/ready; while :; do sleep 0.05; done';
  const c = fixture(t, ['sh', '-c', script]);
  t.equal(c.create().status, 0);
  t.equal(c.start().status, 0);
  t.ok(await c.waitFile('ready'));
  t.equal(c.kill('USR1').status, 0, 'kill USR1 (by name)');
  t.ok(await waitFor(() => c.read('sig') === 'USR1\n', 5000), 'the process got SIGUSR1');
  t.equal(c.kill('12').status, 0, 'kill 12 (by number)');
  t.ok(await waitFor(() => c.read('sig') === 'USR1\nUSR2\n', 5000), 'the process got SIGUSR2');
  t.equal(c.state()?.status, 'running', 'still running');
});

clause('runtime.md Kill: this operation MUST send the specified signal to the container process (created)', async (t) => {
  const c = fixture(t, ['true']);
  t.equal(c.create().status, 0);
  const r = c.kill('KILL');
  t.equal(r.status, 0, `kill of a created container succeeds ${r.stderr}`);
  t.equal((await c.waitStatus('stopped'))?.status, 'stopped', 'and the process died');
});

// ---- Delete ----

clause('runtime.md Delete: this operation MUST generate an error if it is not provided the container ID', async (t) => {
  const c = fixture(t, ['true']);
  refused(t, c.cli(['delete']), 'delete', /missing required argument 'id'/);
});

clause('runtime.md Delete: attempting to delete a container that does not exist MUST generate an error', async (t) => {
  const c = fixture(t, ['true']);
  refused(t, c.del([], `${c.id}-missing`), 'delete', new RegExp(`container "${c.id}-missing" does not exist`));
});

clause('runtime.md Delete: attempting to delete a container that is not stopped (running) MUST have no effect on the container and MUST generate an error', async (t) => {
  const c = fixture(t, ['sh', '-c', 'while :; do date +%s%N > /results/tick; sleep 0.05; done']);
  t.equal(c.create().status, 0);
  t.equal(c.start().status, 0);
  t.ok(await c.waitFile('tick'));
  const before = c.state();
  refused(t, c.del(), 'delete', /that is running: stop it first or use --force/);
  t.same(c.state(), before, 'state unchanged');
  const tick = c.read('tick');
  t.ok(await waitFor(() => c.read('tick') !== tick, 3000), 'the process keeps running');
});

clause('runtime.md Delete: attempting to delete a container that is not stopped (created) MUST have no effect on the container and MUST generate an error',
  { todo: 'ocits delete (without --force) kills and removes a created container, as runc does; runtime.md requires an error for any container that is not stopped' }, async (t) => {
  const c = fixture(t, ['sh', '-c', 'touch /results/ran']);
  t.equal(c.create().status, 0);
  const before = c.state();
  refused(t, c.del(), 'delete', /created/);
  t.same(c.state(), before, 'state unchanged');
  t.equal(c.start().status, 0, 'the container can still be started');
  t.ok(await c.waitFile('ran', 3000), 'and runs its program');
});

clause('runtime.md Delete: resources associated with the container but not created by it MUST NOT be deleted', async (t) => {
  const shared = tmpDir('ocits-shared-');
  fs.writeFileSync(path.join(shared, 'keep'), 'data');
  t.teardown(() => fs.rmSync(shared, { recursive: true, force: true }));
  const a = fixture(t, ['sleep', '30']);
  t.equal(a.create().status, 0);
  const aPid = a.state().pid;
  const pidsCg = `/sys/fs/cgroup/pids/ocits-conformance-${process.pid}`;
  fs.mkdirSync(pidsCg, { recursive: true });
  t.teardown(() => { try { fs.rmdirSync(pidsCg); } catch { /* still busy or gone */ } });
  const b = fixture(t, ['true'], (cfg) => {
    cfg.mounts.push({ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] });
    cfg.linux.namespaces = cfg.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${aPid}/ns/net` } : n));
    cfg.linux.cgroupsPath = path.basename(pidsCg);
  });
  t.equal(b.create().status, 0);
  t.equal(b.start().status, 0);
  await b.waitStatus('stopped');
  t.equal(b.del().status, 0);
  t.equal(fs.readFileSync(path.join(shared, 'keep'), 'utf8'), 'data', 'the bind-mount source and its files remain');
  t.ok(fs.existsSync(path.join(b.b.rootfs, 'bin/busybox')) && fs.existsSync(path.join(b.b.dir, 'config.json')), 'the bundle remains');
  t.ok(fs.existsSync(pidsCg), 'a pre-existing cgroup the container joined remains');
  t.equal(a.state()?.status, 'created', 'the container whose network namespace it joined is untouched');
  t.equal(nsOf(aPid, 'net')?.startsWith('net:'), true, 'and so is that namespace');
});

// ---- Errors ----

clause('runtime.md Errors: generating an error MUST leave the state of the environment as if the operation were never attempted (failed create)', async (t) => {
  const c = fixture(t, ['true'], (cfg) => {
    cfg.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    cfg.mounts.push({ destination: '/broken', type: 'bind', source: '/ocits/no/such/source', options: ['rbind'] });
    cfg.linux.cgroupsPath = `/ocits-conformance-failed-${process.pid}`;
  });
  const listBefore = c.cli(['list', '-q']).stdout;
  const r = c.create();
  refused(t, r, 'create', /\/ocits\/no\/such\/source/, c);
  t.equal(c.cli(['list', '-q']).stdout, listBefore, 'list unchanged');
  t.notOk(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(c.results), 'no host mount of the bind source');
  t.notOk(fs.existsSync(`/sys/fs/cgroup/pids/ocits-conformance-failed-${process.pid}`), 'no cgroup made');
});
