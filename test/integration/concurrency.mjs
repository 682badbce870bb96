// Many commands at once and commands killed midway: containers on distinct ids
// in parallel, racing commands on one id, and `ocits create` / `ocits exec`
// killed with SIGKILL at a sweep of points. Afterwards: no corrupted state,
// each error one line, and `delete --force` leaves nothing behind.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { makeBundle, fileRoot, uniqueId, leftovers, ocits, ocitsEnv, until, isRoot, OCITS } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);
const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-conc-'));
t.teardown(() => fs.rmSync(logs, { recursive: true, force: true }));

let n = 0;
/**
 * `ocits --root ROOT ...args` in the background, output to files (a container
 * inherits them). Resolves to { status, signal, stderr }; .child is the process.
 */
function bg(args, opts = {}) {
  const tag = ++n;
  const out = fs.openSync(path.join(logs, `${tag}.out`), 'w');
  const err = fs.openSync(path.join(logs, `${tag}.err`), 'w');
  const child = spawn(OCITS, ['--root', root, ...args], { stdio: ['ignore', out, err], env: opts.env ?? ocitsEnv() });
  fs.closeSync(out);
  fs.closeSync(err);
  const done = new Promise((resolve) => child.on('exit', (status, signal) => resolve({
    args, status, signal, stderr: fs.readFileSync(path.join(logs, `${tag}.err`), 'utf8'),
  })));
  done.child = child;
  return done;
}

/** Runs the async jobs with at most `limit` at a time (2 cores). */
async function pool(jobs, limit) {
  const results = [];
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }));
  return results;
}

/** An error is `ocits: <command>: <reason>` on one line, exit 1. */
function oneLineError(t, r, what) {
  t.equal(r.status, 1, `${what}: exit 1 (${r.signal ?? ''} ${r.stderr.trim()})`);
  t.match(r.stderr, new RegExp(`^ocits: ${r.args.find((a) => !a.startsWith('-') && a !== root) ?? ''}[^\\n]*: [^\\n]+\\n$`), `${what}: one line`);
}

t.test('50 containers on distinct ids, 10 at a time: create, start, delete', async (t) => {
  const b = makeBundle(['true']);
  t.teardown(() => b.cleanup());
  const ids = Array.from({ length: 50 }, () => uniqueId('par'));
  const results = await pool(ids.map((id) => async () => {
    const c = await bg(['create', '--bundle', b.dir, id]);
    if (c.status !== 0) return { id, step: 'create', r: c };
    const s = await bg(['start', id]);
    if (s.status !== 0) return { id, step: 'start', r: s };
    const d = await bg(['delete', '--force', id]);
    return { id, step: 'delete', r: d };
  }), 10);
  const failed = results.filter((x) => x.r.status !== 0).map((x) => `${x.id} ${x.step}: ${x.r.status ?? x.r.signal} ${x.r.stderr.trim()}`);
  t.same(failed, [], 'every create, start and delete succeeded');
  t.same(fs.readdirSync(root).filter((e) => ids.some((id) => e.includes(id))), [], 'no state dir or lock left');
  t.same(ids.flatMap((id) => leftovers(root, b.dir, id)), [], 'no mount, cgroup or process left');
});

t.test('20 racing commands on one id', async (t) => {
  const b = makeBundle(['sleep', '1000']);
  t.teardown(() => b.cleanup());
  const id = uniqueId('race');
  t.teardown(() => ocits(['--root', root, 'delete', '--force', id]));
  // Two creates first: exactly one wins, the other is refused.
  const creates = await Promise.all([bg(['create', '--bundle', b.dir, id]), bg(['create', '--bundle', b.dir, id])]);
  t.same(creates.map((r) => r.status).sort(), [0, 1], `one create wins (${creates.map((r) => r.stderr.trim()).join(' | ')})`);
  for (const r of creates.filter((x) => x.status !== 0)) {
    oneLineError(t, r, 'the second create');
    t.match(r.stderr, new RegExp(id), 'names the id');
  }
  const cmds = [
    ['create', '--bundle', b.dir, id], ['start', id], ['start', id], ['state', id], ['kill', id, 'KILL'],
    ['state', id], ['start', id], ['delete', id], ['kill', id, 'TERM'], ['create', '--bundle', b.dir, id],
    ['state', id], ['pause', id], ['resume', id], ['delete', '--force', id], ['kill', '--all', id, 'KILL'],
    ['start', id], ['state', id], ['create', '--bundle', b.dir, id], ['delete', '--force', id], ['state', id],
  ];
  const results = await Promise.all(cmds.map((c) => bg(c)));
  for (const r of results) {
    t.ok(r.signal === null && (r.status === 0 || r.status === 1), `${r.args[0]}: exit 0 or 1, not a crash (${r.status ?? r.signal})`);
    if (r.status !== 0) oneLineError(t, r, r.args.join(' ').replace(b.dir, 'BUNDLE'));
  }
  const stateFile = path.join(root, id, 'state.json');
  if (fs.existsSync(stateFile)) t.doesNotThrow(() => JSON.parse(fs.readFileSync(stateFile, 'utf8')), 'state.json parses');
  const st = ocits(['--root', root, 'state', id]);
  t.ok(st.status === 0 ? JSON.parse(st.stdout).id === id : /^ocits: state: .*\n$/.test(st.stderr), `state after the race is valid or absent (${st.stderr.trim()})`);
  const d = ocits(['--root', root, 'delete', '--force', id]);
  t.equal(d.status, 0, `delete --force: ${d.stderr}`);
  t.same(leftovers(root, b.dir, id), [], 'nothing left');
  await recreateWorks(t, b, id);
});

/** The id is free again: create succeeds, and delete --force leaves nothing. */
async function recreateWorks(t, b, id) {
  const c = await bg(['create', '--bundle', b.dir, id]);
  t.equal(c.status, 0, `the same id can be created again: ${c.stderr}`);
  t.equal(ocits(['--root', root, 'delete', '--force', id]).status, 0);
  t.same(leftovers(root, b.dir, id), [], 'nothing left after the second delete');
}

// Kill points: a sweep of delays across the whole command (about 0.3-1.5 s on
// this machine), so that each phase of create/exec is hit by some of them.
const DELAYS = [0, 15, 60, 150, 220, 300, 450, 700, 1000];
// And every phase for certain: OCITS_TEST_KILL_AT (src/runtime/kill-point.ts) makes the command SIGKILL itself there.
const CREATE_PHASES = ['create:locked', 'create:statedir', 'create:cgroup-mkdir', 'create:record', 'create:forked', 'create:ready'];
const EXEC_PHASES = ['exec:forked', 'exec:joined', 'exec:pid'];
const killAt = (phase) => ({ env: ocitsEnv({ OCITS_TEST_KILL_AT: phase }) });

t.test('ocits create killed with SIGKILL at many points: delete --force cleans up, the id works again', async (t) => {
  const b = makeBundle(['sleep', '1000']);
  t.teardown(() => b.cleanup());
  for (const at of [...CREATE_PHASES, ...DELAYS]) {
    await t.test(`killed ${typeof at === 'number' ? `after ${at} ms` : `at ${at}`}`, async (t) => {
      const id = uniqueId('kc');
      t.teardown(() => ocits(['--root', root, 'delete', '--force', id]));
      const run = bg(['create', '--bundle', b.dir, id], typeof at === 'string' ? killAt(at) : {});
      if (typeof at === 'number') {
        await new Promise((r) => setTimeout(r, at));
        run.child.kill('SIGKILL');
      }
      const r = await run;
      if (typeof at === 'string') t.equal(r.signal, 'SIGKILL', `killed itself at ${at}: ${r.stderr}`);
      else t.ok(r.signal === 'SIGKILL' || r.status === 0, `killed, or done first (${r.status ?? r.signal})`);
      const d = ocits(['--root', root, 'delete', '--force', id]);
      t.equal(d.status, 0, `delete --force: ${d.stderr}`);
      t.equal(d.stderr, '', 'quietly');
      // The init may still be on its way out of the kill.
      await until(() => leftovers(root, b.dir, id).length === 0, 5000, 'the host clean').catch(() => {});
      t.same(leftovers(root, b.dir, id), [], 'no state, lock, mount, cgroup or process left');
      await recreateWorks(t, b, id);
    });
  }
});

t.test('ocits exec killed with SIGKILL at many points: the container stays usable, delete --force cleans up', async (t) => {
  const b = makeBundle(['sleep', '1000']);
  t.teardown(() => b.cleanup());
  for (const at of [...EXEC_PHASES, ...DELAYS]) {
    await t.test(`exec killed ${typeof at === 'number' ? `after ${at} ms` : `at ${at}`}`, async (t) => {
      const id = uniqueId('ke');
      t.teardown(() => ocits(['--root', root, 'delete', '--force', id]));
      const c = await bg(['run', '-d', '--bundle', b.dir, id]);
      t.equal(c.status, 0, `run -d: ${c.stderr}`);
      const run = bg(['exec', id, 'sh', '-c', 'sleep 1000'], typeof at === 'string' ? killAt(at) : {});
      if (typeof at === 'number') {
        await new Promise((r) => setTimeout(r, at));
        run.child.kill('SIGKILL');
      }
      const r = await run;
      t.equal(r.signal, 'SIGKILL', 'killed before the process ended');
      const st = ocits(['--root', root, 'state', id]);
      t.equal(st.status, 0, st.stderr);
      t.equal(JSON.parse(st.stdout).status, 'running', 'the container still runs');
      const e = ocits(['--root', root, 'exec', id, 'echo', 'still'], { timeout: 20000 });
      t.equal(e.stdout, 'still\n', `a later exec works: ${e.stderr}`);
      const d = ocits(['--root', root, 'delete', '--force', id]);
      t.equal(d.status, 0, `delete --force: ${d.stderr}`);
      await until(() => leftovers(root, b.dir, id).length === 0, 5000, 'the host clean').catch(() => {});
      t.same(leftovers(root, b.dir, id), [], 'no state, lock, mount, cgroup or process left (nor the exec\'d sleep)');
      await recreateWorks(t, b, id);
    });
  }
});
