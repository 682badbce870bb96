// exec failures as runc reports them (exit status 255, so that they differ from
// the process's own statuses), side by side with runc on the same bundle; and
// --debug records in --log, text and JSON.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot, OCITS, ocitsEnv } from '../lib/bundle.mjs';
import { RUNC, runc } from '../lib/runc-side.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

/** One bundle running `sleep` under ocits and under runc (their own state roots). */
function both(t) {
  const f = fixture(t, root, ['sleep', '300']);
  const runcRoot = `${root}-runc`;
  t.teardown(() => { spawnSync(RUNC, ['--root', runcRoot, 'delete', '-f', f.id]); fs.rmSync(runcRoot, { recursive: true, force: true }); });
  t.equal(spawnSync(OCITS, ['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], { stdio: 'ignore', env: ocitsEnv() }).status, 0, 'ocits run -d');
  t.equal(spawnSync(RUNC, ['--root', runcRoot, 'run', '-d', '--bundle', f.b.dir, f.id], { stdio: 'ignore' }).status, 0, 'runc run -d');
  return { f, ours: (...a) => f.cli('exec', ...a), theirs: (...a) => runc(['--root', runcRoot, 'exec', ...a]) };
}

t.test('exec --pid-file into a missing directory: 255 as runc, and the process does not run', async (t) => {
  const { f, ours, theirs } = both(t);
  const pidFile = path.join(f.b.dir, 'no-such-dir', 'pid');
  const r = ours('--pid-file', pidFile, f.id, 'sh', '-c', 'echo ran; touch /dev/shm/ran');
  const q = theirs('--pid-file', pidFile, f.id, 'true');
  t.equal(q.status, 255, 'runc: 255');
  t.equal(r.status, 255, 'ocits: 255');
  t.equal(r.stdout, '', 'the process did not run');
  t.equal(r.stderr, `ocits: exec: --pid-file ${pidFile}: no such file or directory\n`);
  t.match(q.stderr, /no such file or directory/, 'runc says the same');
  t.equal(ours(f.id, 'test', '-e', '/dev/shm/ran').status, 1, 'nothing ran inside');
  t.same(fs.readdirSync(f.b.dir).filter((n) => n.includes('.tmp')), [], 'no temp file left');
  const ok = path.join(f.b.dir, 'exec.pid');
  t.equal(ours('--pid-file', ok, f.id, 'true').status, 0);
  t.match(fs.readFileSync(ok, 'utf8'), /^\d+$/, 'a pid file in an existing directory');
});

t.test('exec --cgroup: a path outside the container\'s cgroup is refused as runc refuses it; "/" is its own cgroup', async (t) => {
  const { f, ours, theirs } = both(t);
  for (const c of ['..', '../x', 'a/../..', 'pids:..']) {
    const r = ours('--cgroup', c, f.id, 'touch', '/dev/shm/escaped');
    const q = theirs('--cgroup', c, f.id, 'true');
    t.equal(q.status, 255, `runc --cgroup ${c}: 255`);
    t.equal(r.status, 255, `ocits --cgroup ${c}: 255`);
    const sub = c.replace(/^pids:/, '');
    t.equal(r.stderr, `ocits: exec: --cgroup ${c}: ${sub} is not a sub cgroup path\n`);
    t.match(q.stderr, new RegExp(`${sub.replace(/\./g, '\\.')} is not a sub cgroup path`), 'runc\'s words');
  }
  t.equal(ours(f.id, 'test', '-e', '/dev/shm/escaped').status, 1, 'nothing ran');
  const own = ours(f.id, 'cat', '/proc/self/cgroup');
  const slash = ours('--cgroup', '/', f.id, 'cat', '/proc/self/cgroup');
  t.equal(slash.status, 0, slash.stderr);
  t.equal(theirs('--cgroup', '/', f.id, 'true').status, 0, 'runc accepts "/" too');
  t.equal(slash.stdout, own.stdout, '"/" is the container\'s own cgroup');
});

t.test('other exec failures exit 255 too, as with runc', async (t) => {
  const { f, ours, theirs } = both(t);
  for (const args of [[f.id, 'no-such-command'], ['no-such-container', 'true'], ['-u', 'nobody', f.id, 'true']]) {
    const r = ours(...args);
    t.equal(r.status, 255, `ocits exec ${args.join(' ')}: ${r.stderr.trim()}`);
    t.match(r.stderr, /^ocits: exec: [^\n]+\n$/, 'one line');
    t.equal(theirs(...args).status, 255, `runc exec ${args.join(' ')}`);
  }
  t.equal(ours(f.id, 'sh', '-c', 'exit 1').status, 1, 'the process\'s own status is passed on');
});

t.test('--debug writes debug records to --log, as text and as JSON lines', async (t) => {
  const { f } = both(t);
  for (const format of ['text', 'json']) {
    const log = path.join(f.b.dir, `debug.${format}`);
    const r = spawnSync(OCITS, ['--root', root, '--debug', '--log', log, '--log-format', format, 'exec', f.id, 'true'], { encoding: 'utf8', env: ocitsEnv() });
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stderr, '', 'nothing on stderr: the records go to the log');
    const lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const recs = format === 'json'
      ? lines.map((l) => JSON.parse(l))
      : lines.map((l) => {
        const m = /^time="([^"]+)" level=(\w+) msg="((?:[^"\\]|\\.)*)"$/.exec(l);
        t.ok(m, `a logrus-style line: ${l}`);
        return m ? { time: m[1], level: m[2], msg: m[3].replace(/\\"/g, '"') } : {};
      });
    const debug = recs.filter((x) => x.level === 'debug');
    t.ok(debug.length >= 4, `${format}: several debug records (${debug.length})`);
    for (const x of debug) t.ok(!Number.isNaN(Date.parse(x.time)), `${format}: a time`);
    t.ok(debug.some((x) => x.msg.includes(`/proc/`) && x.msg.includes('/ns/')), `${format}: the namespaces joined`);
    t.ok(debug.some((x) => /process pid \d+/.test(x.msg)), `${format}: the process's pid`);
    t.ok(debug.some((x) => /exit status 0/.test(x.msg)), `${format}: the outcome`);
  }
  const quiet = path.join(f.b.dir, 'quiet.log');
  t.equal(spawnSync(OCITS, ['--root', root, '--log', quiet, 'exec', f.id, 'true'], { env: ocitsEnv() }).status, 0);
  t.equal(fs.readFileSync(quiet, 'utf8'), '', 'without --debug, no debug records');
});

t.test('--debug on create, start and delete', async (t) => {
  const f = fixture(t, root, ['true']);
  const log = path.join(f.b.dir, 'lifecycle.log');
  const cli = (...a) => spawnSync(OCITS, ['--root', root, '--debug', '--log', log, '--log-format', 'json', ...a], { stdio: 'ignore', env: ocitsEnv() }).status;
  t.equal(cli('create', '--bundle', f.b.dir, f.id), 0);
  t.equal(cli('start', f.id), 0);
  t.equal(cli('delete', '--force', f.id), 0);
  const msgs = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((x) => x.level === 'debug').map((x) => x.msg);
  t.ok(msgs.some((m) => /^create: command line/.test(m)), 'create\'s command line');
  t.ok(msgs.some((m) => new RegExp(`container ${f.id}: init pid \\d+`).test(m)), 'the init\'s pid');
  t.ok(msgs.some((m) => /cgroups /.test(m)), 'the cgroups');
  t.ok(msgs.some((m) => /^start: exit status 0$/.test(m)), 'start');
  t.ok(msgs.some((m) => /^delete: exit status 0$/.test(m)), 'delete');
});

t.test('create --pid-file into a missing directory: exit 1 as runc, one line naming it, nothing left', async (t) => {
  const f = fixture(t, root, ['sleep', '300']);
  const pidFile = path.join(f.b.dir, 'no-such-dir', 'pid');
  const r = f.create(['--pid-file', pidFile]);
  t.equal(r.status, 1);
  t.equal(r.stderr, `ocits: create: --pid-file ${pidFile}: no such file or directory\n`);
  t.same(f.leftovers(), []);
  const runcRoot = `${root}-runc-create`;
  t.teardown(() => { spawnSync(RUNC, ['--root', runcRoot, 'delete', '-f', f.id]); fs.rmSync(runcRoot, { recursive: true, force: true }); });
  t.equal(spawnSync(RUNC, ['--root', runcRoot, 'create', '--pid-file', pidFile, '--bundle', f.b.dir, f.id], { stdio: 'ignore' }).status, 1, 'runc: 1');
});

t.test('run --debug: without --log the records go to stderr as runc\'s lines, led by runc\'s step names; with --log, none outside it', async (t) => {
  const f = fixture(t, root, ['echo', 'Hello World']);
  const STEPS = ['nsexec container setup', 'child process in init()', 'init: closing the pipe to signal completion'];
  const r = spawnSync(OCITS, ['--root', root, '--debug', 'run', '--bundle', f.b.dir, f.id], { encoding: 'utf8', env: ocitsEnv() });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'Hello World\n');
  const lines = r.stderr.split('\n').filter((l) => l.includes('level=debug'));
  for (const l of lines) t.match(l, /^time="[^"]+" level=debug msg=".*"$/, 'a logrus-style line');
  for (const s of STEPS) t.ok(lines.some((l) => l.includes(s)), `"${s}"`);
  for (const format of ['text', 'json']) {
    const log = path.join(f.b.dir, `run.${format}`);
    const q = spawnSync(OCITS, ['--root', root, '--log', log, '--log-format', format, '--debug', 'run', '--bundle', f.b.dir, f.id], { encoding: 'utf8', env: ocitsEnv() });
    t.equal(q.status, 0, q.stderr);
    t.notMatch(q.stdout + q.stderr, /level=debug|"level":"debug"/, `${format}: nothing outside the log`);
    const text = fs.readFileSync(log, 'utf8');
    t.match(text, format === 'json' ? /"level":"debug"/ : /level=debug/);
    for (const s of STEPS) t.ok(text.includes(s), `${format}: "${s}"`);
  }
});
