// The container lifecycle through the CLI: create → start → kill → delete,
// state/list output, run (attached, detached, --keep), signals, spec, logs.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  fixture, fileRoot, ocits, ocitsSpawn, ocitsToFiles, makeRootfs, until, isRoot,
} from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

// A container whose process exits with 3 on SIGTERM (pid 1 only gets the signals
// it handles) and says when its trap is in place; ready() waits for that.
function trapFixture(t) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-out-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const f = fixture(t, root, ['sh', '-c', 'trap "echo TERM > /out/sig; exit 3" TERM; trap "echo HUP > /out/sig; exit 4" HUP; touch /out/ready; while :; do sleep 0.05; done'],
    (c) => { c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] }); });
  f.out = out;
  f.ready = () => until(() => fs.existsSync(path.join(out, 'ready')), 10000, 'the trap');
  return f;
}

t.test('create --pid-file, state created, start, running, kill, stopped, delete', async (t) => {
  const f = trapFixture(t);
  const pidFile = path.join(f.b.dir, 'init.pid');
  const c = f.create(['--pid-file', pidFile]);
  t.equal(c.status, 0, `create succeeds: ${c.stderr}`);
  t.equal(c.stderr, '', 'create is quiet');
  const pidText = fs.readFileSync(pidFile, 'utf8');
  t.match(pidText, /^\d+$/, 'pid file holds bare digits');
  let st = f.state();
  t.equal(st.status, 'created');
  t.equal(st.pid, Number(pidText), 'pid file equals the state pid');
  t.equal(st.id, f.id);
  t.equal(st.bundle, fs.realpathSync(f.b.dir));
  t.match(st.ociVersion, /^1\.\d+\.\d+/);
  t.ok(fs.existsSync(`/proc/${st.pid}`), 'the init exists while created');

  t.equal(f.cli('start', f.id).status, 0, 'start');
  await f.ready();
  st = f.state();
  t.equal(st.status, 'running');
  const again = f.cli('start', f.id);
  t.equal(again.status, 1, 'start of a running container fails');
  t.match(again.stderr, /^ocits: .*running/);

  const k = f.cli('kill', f.id, 'TERM');
  t.equal(k.status, 0, `kill TERM: ${k.stderr}`);
  await until(() => f.state()?.status === 'stopped', 5000, 'stopped');
  st = f.state();
  t.equal(st.status, 'stopped');
  t.notOk('pid' in st && st.pid > 0, 'a stopped container reports no pid');

  const d = f.cli('delete', f.id);
  t.equal(d.status, 0, `delete: ${d.stderr}`);
  t.equal(f.state(), null, 'state after delete fails');
  t.same(f.leftovers(), []);
});

for (const sig of ['SIGKILL', 'KILL', '9', 'SIGTERM', '15']) {
  t.test(`kill ${sig} stops a running container`, async (t) => {
    const f = trapFixture(t);
    t.equal(f.create().status, 0);
    t.equal(f.cli('start', f.id).status, 0);
    await f.ready();
    t.equal(f.cli('kill', f.id, sig).status, 0);
    await until(() => f.state()?.status === 'stopped', 5000, 'stopped');
    const caught = fs.existsSync(path.join(f.out, 'sig')) ? fs.readFileSync(path.join(f.out, 'sig'), 'utf8') : null;
    t.equal(caught, /TERM|15/.test(sig) ? 'TERM\n' : null, /TERM|15/.test(sig) ? 'the trap caught SIGTERM' : 'SIGKILL cannot be caught');
  });
}

t.test('kill without a signal sends SIGTERM; kill HUP sends SIGHUP', async (t) => {
  for (const [args, want] of [[[], 'TERM\n'], [['HUP'], 'HUP\n'], [['SIGHUP'], 'HUP\n'], [['1'], 'HUP\n']]) {
    const f = trapFixture(t);
    t.equal(f.create().status, 0);
    t.equal(f.cli('start', f.id).status, 0);
    await f.ready();
    t.equal(f.cli('kill', f.id, ...args).status, 0);
    await until(() => f.state()?.status === 'stopped', 5000, 'stopped');
    t.equal(fs.readFileSync(path.join(f.out, 'sig'), 'utf8'), want, `kill ${args.join(' ')}`);
  }
});

t.test('options after the id and --x=v forms', async (t) => {
  const f = fixture(t, root, ['sleep', '30']);
  const pidFile = path.join(f.b.dir, 'p.pid');
  const c = ocitsToFiles([`--root=${root}`, 'create', f.id, `--bundle=${f.b.dir}`, `--pid-file=${pidFile}`], f.b.dir);
  t.equal(c.status, 0, `create ID --bundle=B: ${c.stderr}`);
  t.equal(f.state().pid, Number(fs.readFileSync(pidFile, 'utf8')));
  t.equal(ocits(['--root', root, 'kill', f.id, 'KILL']).status, 0);
  await until(() => f.state()?.status === 'stopped', 5000, 'stopped');
  const d = ocits([`--root=${root}`, 'delete', f.id, '--force']);
  t.equal(d.status, 0, `delete ID --force: ${d.stderr}`);
  t.same(f.leftovers(), []);
});

t.test('list and ls: table, json, quiet', async (t) => {
  const lroot = fileRoot(t);
  const a = fixture(t, lroot, ['sleep', '30']);
  const b = fixture(t, lroot, ['sleep', '30']);
  t.equal(a.create().status, 0);
  t.equal(b.create().status, 0);
  t.equal(b.cli('start', b.id).status, 0);
  const pa = a.state().pid, pb = b.state().pid;

  const table = ocits(['--root', lroot, 'list']);
  t.equal(table.status, 0);
  const lines = table.stdout.trimEnd().split('\n');
  t.match(lines[0], /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
  t.equal(lines.length, 3);
  const rows = Object.fromEntries(lines.slice(1).map((l) => { const w = l.split(/\s+/); return [w[0], w]; }));
  t.same(rows[a.id].slice(1, 4), [String(pa), 'created', fs.realpathSync(a.b.dir)]);
  t.same(rows[b.id].slice(1, 4), [String(pb), 'running', fs.realpathSync(b.b.dir)]);
  t.equal(rows[a.id][5], 'root');
  t.ok(!Number.isNaN(Date.parse(rows[a.id][4])), 'created is a date');

  const ls = ocits(['--root', lroot, 'ls']);
  t.equal(ls.stdout, table.stdout, 'ls is list');

  const json = ocits(['--root', lroot, 'list', '--format', 'json']);
  t.equal(json.status, 0);
  const arr = JSON.parse(json.stdout);
  t.equal(arr.length, 2);
  const ja = arr.find((e) => e.id === a.id);
  t.match(ja, { id: a.id, pid: pa, status: 'created', bundle: fs.realpathSync(a.b.dir), owner: 'root' });
  t.match(arr.find((e) => e.id === b.id), { status: 'running', pid: pb });
  const jf = ocits(['--root', lroot, 'list', '-f', 'json']);
  t.same(JSON.parse(jf.stdout).map((e) => e.id).sort(), [a.id, b.id].sort(), '-f json');

  const q = ocits(['--root', lroot, 'ls', '-q']);
  t.same(q.stdout.trimEnd().split('\n').sort(), [a.id, b.id].sort());

  const empty = ocits(['--root', fileRoot(t), 'list', '--format', 'json']);
  t.equal(empty.status, 0);
  t.same(JSON.parse(empty.stdout), [], 'an empty root lists []');
});

t.test('run -d returns with the container running', async (t) => {
  const f = fixture(t, root, ['sleep', '30']);
  const start = Date.now();
  const r = ocitsToFiles(['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], f.b.dir);
  t.equal(r.status, 0, r.stderr);
  t.ok(Date.now() - start < 20000, 'run -d did not wait for the container');
  t.equal(f.state().status, 'running');
  t.equal(f.cli('delete', '--force', f.id).status, 0);
  t.same(f.leftovers(), []);
});

t.test('run --keep leaves a stopped container that delete removes', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'echo kept; exit 5']);
  const r = f.run(['--keep']);
  t.equal(r.status, 5);
  t.equal(r.stdout, 'kept\n');
  const st = f.state();
  t.equal(st?.status, 'stopped', 'still there, stopped');
  t.equal(f.cli('delete', f.id).status, 0);
  t.equal(f.state(), null);
  t.same(f.leftovers(), []);
});

t.test('run without --keep removes the container', async (t) => {
  const f = fixture(t, root, ['true']);
  t.equal(f.run().status, 0);
  t.equal(f.state(), null);
  t.same(f.leftovers(), []);
});

function waitExit(child) {
  return new Promise((resolve) => {
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

t.test('run exits 128+N when the container is killed by signal N', async (t) => {
  const f = fixture(t, root, ['sleep', '30']);
  const child = ocitsSpawn(['--root', root, 'run', '--bundle', f.b.dir, f.id]);
  t.teardown(() => child.kill('SIGKILL'));
  const done = waitExit(child);
  await until(() => f.state()?.status === 'running', 10000, 'running');
  t.equal(f.cli('kill', f.id, 'KILL').status, 0);
  const r = await done;
  t.equal(r.code, 137, `exit status 128+9 (stderr: ${r.stderr})`);
  t.equal(f.state(), null, 'run removed the container');
  t.same(f.leftovers(), []);
});

t.test('SIGTERM sent to `ocits run` reaches the container', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'trap "echo got-TERM; exit 42" TERM; echo ready; while :; do sleep 0.05; done']);
  const child = ocitsSpawn(['--root', root, 'run', '--bundle', f.b.dir, f.id]);
  t.teardown(() => child.kill('SIGKILL'));
  const done = waitExit(child);
  let seen = '';
  child.stdout.on('data', (d) => { seen += d; });
  await until(() => seen.includes('ready'), 10000, 'the container to start');
  child.kill('SIGTERM');
  const r = await done;
  t.equal(r.code, 42, 'run exits with the status of the trap');
  t.equal(r.stdout, 'ready\ngot-TERM\n');
  t.same(f.leftovers(), []);
});

t.test('spec writes a config that validates and runs', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-spec-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = ocits(['spec', '--bundle', dir]);
  t.equal(s.status, 0, s.stderr);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  t.match(cfg, { ociVersion: /^1\./, root: { path: 'rootfs' }, process: { args: Array } });
  const again = ocits(['spec', '--bundle', dir]);
  t.equal(again.status, 1, 'spec refuses to overwrite');
  t.match(again.stderr, /^ocits: .*exists/);
  // Unchanged except for the process (no terminal here): it must pass validation and run.
  makeRootfs(dir);
  cfg.process.terminal = false;
  cfg.process.args = ['sh', '-c', 'echo spec-ok'];
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  const id = `spec-${process.pid}`;
  t.teardown(() => ocits(['--root', root, 'delete', '--force', id]));
  const r = ocits(['--root', root, 'run', '--bundle', dir, id]);
  // Its ambient caps are not inheritable (as runc's): one warning, as runc gives.
  t.match(r.stderr, /^ocits: warning: \/process\/capabilities\/ambient: [^\n]* not raised[^\n]*\n$/);
  t.equal(r.stdout, 'spec-ok\n');
  t.equal(r.status, 0);

  const rl = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-spec-'));
  t.teardown(() => fs.rmSync(rl, { recursive: true, force: true }));
  t.equal(ocits(['spec', '--rootless', '-b', rl]).status, 0);
  const rcfg = JSON.parse(fs.readFileSync(path.join(rl, 'config.json'), 'utf8'));
  t.ok(rcfg.linux.namespaces.some((n) => n.type === 'user'), 'rootless spec has a user namespace');
  t.ok(rcfg.linux.uidMappings?.length > 0, 'rootless spec maps ids');
});

t.test('--version', async (t) => {
  for (const flag of ['--version', '-v']) {
    const r = ocits([flag]);
    t.equal(r.status, 0);
    t.match(r.stdout, /^ocits version \d+\.\d+\.\d+\nspec: 1\.\d+\.\d+\n$/);
  }
});

t.test('state of an unknown id', async (t) => {
  const r = ocits(['--root', root, 'state', 'no-such-container']);
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: .*does not exist\n$/);
  t.equal(r.stdout, '');
});

t.test('delete --force of an unknown id succeeds, delete fails', async (t) => {
  const r = ocits(['--root', root, 'delete', '--force', 'no-such-container']);
  t.equal(r.status, 0);
  t.equal(r.stderr, '');
  const r2 = ocits(['--root', root, 'delete', 'no-such-container']);
  t.equal(r2.status, 1);
  t.match(r2.stderr, /^ocits: .*does not exist\n$/);
});

t.test('kill of a stopped container: "container not running"; kill --all succeeds', async (t) => {
  const f = fixture(t, root, ['true']);
  t.equal(f.create().status, 0);
  t.equal(f.cli('start', f.id).status, 0);
  await until(() => f.state()?.status === 'stopped', 5000, 'stopped');
  const k = f.cli('kill', f.id, 'KILL');
  t.equal(k.status, 1);
  t.match(k.stderr, /^ocits: .*container not running\n$/);
  t.equal(f.cli('kill', '--all', f.id, 'KILL').status, 0, 'kill --all of a stopped container succeeds');
  t.equal(f.cli('delete', f.id).status, 0, 'a stopped container deletes without --force');
  t.same(f.leftovers(), []);
});

t.test('--log FILE --log-format json', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-log-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ok = path.join(dir, 'ok.json');
  const r = ocits(['--root', root, '--log', ok, '--log-format', 'json', 'list']);
  t.equal(r.status, 0);
  t.ok(fs.existsSync(ok), 'the log file exists after a success');
  t.equal(fs.readFileSync(ok, 'utf8'), '', 'and holds nothing');

  const bad = path.join(dir, 'bad.json');
  const before = Date.now();
  const e = ocits([`--log=${bad}`, '--log-format=json', '--root', root, 'state', 'no-such-container']);
  t.equal(e.status, 1);
  const lines = fs.readFileSync(bad, 'utf8').split('\n');
  t.equal(lines.length, 2, 'one line');
  t.equal(lines[1], '', 'ending in a newline');
  const obj = JSON.parse(lines[0]);
  t.same(Object.keys(obj).sort(), ['level', 'msg', 'time']);
  t.equal(obj.level, 'error');
  t.match(obj.msg, /does not exist/);
  t.match(obj.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/, 'RFC 3339');
  const when = Date.parse(obj.time);
  t.ok(when >= before - 1000 && when <= Date.now() + 1000, `time is now: ${obj.time}`);

  // The failing create of a real container also logs.
  const f = fixture(t, root, ['no-such-binary']);
  const cf = path.join(dir, 'create.json');
  const c = ocits(['--root', root, '--log', cf, '--log-format', 'json', 'create', '--bundle', f.b.dir, f.id]);
  t.equal(c.status, 1);
  const cl = fs.readFileSync(cf, 'utf8').trimEnd().split('\n');
  t.equal(cl.length, 1);
  t.match(JSON.parse(cl[0]), { level: 'error', msg: /executable file not found/ });
  t.same(f.leftovers(), []);
});
