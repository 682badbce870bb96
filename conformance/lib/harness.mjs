// Conformance harness: one busybox container per test, driven through the
// built bin/ocits, with a host directory bind-mounted at /results so the
// container (and its hooks) can report what they saw from the inside.
// Needs root and Debian's busybox-static, like test/integration.
import tap from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  OCITS, makeBundle, makeRoot, uniqueId, leftovers, isRoot, baseConfig,
} from '../../test/lib/bundle.mjs';

export { OCITS, makeBundle, makeRoot, uniqueId, leftovers, isRoot, baseConfig };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function tmpDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o777);
  return d;
}

/**
 * Runs bin/ocits with its stdout/stderr going to files, never pipes: a
 * container started by `create` inherits them and would keep a pipe open
 * (spawnSync would then wait for the container to exit).
 */
export function ocitsFiles(args, opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-io-'));
  const outF = path.join(dir, 'out'), errF = path.join(dir, 'err');
  const out = fs.openSync(outF, 'w'), err = fs.openSync(errF, 'w');
  let r;
  try {
    r = spawnSync(OCITS, args, { stdio: ['ignore', out, err], timeout: opts.timeout ?? 60000, cwd: opts.cwd, env: opts.env ?? process.env });
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  const res = { status: r.status, signal: r.signal, stdout: fs.readFileSync(outF, 'utf8'), stderr: fs.readFileSync(errF, 'utf8') };
  fs.rmSync(dir, { recursive: true, force: true });
  return res;
}

/** `ocits` with pipes: for commands that never hand their stdio to a container. */
export function ocitsPiped(args, opts = {}) {
  const r = spawnSync(OCITS, args, { encoding: 'utf8', input: '', timeout: opts.timeout ?? 60000, cwd: opts.cwd, env: opts.env ?? process.env });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The mount that gives a container its /results directory. */
export function resultsMount(hostDir) {
  return { destination: '/results', type: 'bind', source: hostDir, options: ['rbind', 'rw'] };
}

/**
 * A container fixture: bundle running `args` (config edited by `edit`, which
 * may mutate and return nothing), a private state root, a results dir at
 * /results. Everything is removed (delete --force first) at t.teardown.
 */
export function fixture(t, args, edit = () => {}, opts = {}) {
  const results = tmpDir('ocits-results-');
  const b = makeBundle(args, (c) => {
    if (opts.results !== false) c.mounts.push(resultsMount(results));
    return edit(c) ?? c;
  });
  fs.mkdirSync(path.join(b.rootfs, 'results'));
  const root = opts.root ?? makeRoot();
  const id = opts.id ?? uniqueId('conf');
  const cli = (args2, o) => ocitsFiles(['--root', root, ...args2], o);
  const c = {
    b, root, id, results,
    cli,
    create: (extra = [], o) => cli(['create', '--bundle', b.dir, ...extra, id], o),
    start: (cid = id) => cli(['start', cid]),
    kill: (sig = 'KILL', cid = id) => cli(['kill', cid, sig]),
    del: (extra = [], cid = id) => cli(['delete', ...extra, cid]),
    run: (extra = []) => ocitsPiped(['--root', root, 'run', '--bundle', b.dir, ...extra, id]),
    /** The parsed state document, or null when `state` fails. */
    state: (cid = id) => {
      const r = cli(['state', cid]);
      if (r.status !== 0) return null;
      try { return JSON.parse(r.stdout); } catch { return null; }
    },
    waitStatus: (want, ms = 10000) => waitStatus(cli, id, want, ms),
    file: (name) => path.join(results, name),
    read: (name) => { try { return fs.readFileSync(path.join(results, name), 'utf8'); } catch { return null; } },
    exists: (name) => fs.existsSync(path.join(results, name)),
    waitFile: (name, ms = 10000) => waitFor(() => fs.existsSync(path.join(results, name)), ms),
    leftovers: () => leftovers(root, b.dir, id),
  };
  t.teardown(() => {
    const pid = c.state()?.pid;
    if (cli(['delete', '--force', id]).status !== 0 && pid && fs.existsSync(`/proc/${pid}`)) {
      // Never orphan a container: kill its init if delete failed (only if it is in the container's cgroup).
      try { if (fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(id)) process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    b.cleanup();
    fs.rmSync(results, { recursive: true, force: true });
    if (!opts.root) fs.rmSync(root, { recursive: true, force: true });
  });
  return c;
}

/**
 * A refusal as the project defines it: exit 1 (not a crash, a signal or a
 * timeout), one line `ocits: <command>: <reason>` matching `reason`, and, given
 * the fixture `c` of a container that must not exist, nothing of it on the host.
 */
export function refused(t, r, command, reason, c) {
  t.equal(r.signal, null, `${command}: not ended by a signal`);
  t.equal(r.status, 1, `${command}: exit 1 (${(r.stderr ?? '').trim()})`);
  t.match(r.stderr, new RegExp(`^ocits: ${command}: [^\\n]+\\n$`), `${command}: one line "ocits: ${command}: ..."`);
  t.match(r.stderr, reason, `${command}: says why`);
  if (c) t.same(c.leftovers(), [], `${command}: the host is left as it was`);
}

export async function waitFor(pred, ms = 10000, every = 20) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (pred()) return true;
    if (Date.now() > deadline) return false;
    await sleep(every);
  }
}

/** Polls `state` until status is `want`; returns the last state document (or null). */
export async function waitStatus(cli, id, want, ms = 10000) {
  let last = null;
  await waitFor(() => {
    const r = cli(['state', id]);
    last = r.status === 0 ? JSON.parse(r.stdout) : null;
    return last?.status === want;
  }, ms, 25);
  return last;
}

/** readlink of a namespace of a host process, e.g. "net:[4026531840]". */
export function nsOf(pid, type) {
  try { return fs.readlinkSync(`/proc/${pid}/ns/${type}`); } catch { return null; }
}

/** Field `name` of /proc/PID/status. */
export function procStatus(pid, name) {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
    return line ? line.slice(name.length + 1).trim() : null;
  } catch {
    return null;
  }
}

export function cmdline(pid) {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { return null; }
}

/** Parses /proc/.../mountinfo text into { mountPoint, opts (per-mount), optional, fstype, source, superOpts }. */
export function parseMountinfo(text) {
  return text.split('\n').filter(Boolean).map((l) => {
    const [pre, post] = l.split(' - ');
    const f = pre.split(' ');
    const g = post.split(' ');
    return {
      id: Number(f[0]), parent: Number(f[1]), root: f[3], mountPoint: unescape(f[4]), opts: f[5].split(','),
      optional: f.slice(6), fstype: g[0], source: g[1], superOpts: (g[2] ?? '').split(','),
    };
  });
}

function unescape(s) {
  return s.replace(/\\([0-7]{3})/g, (_m, o) => String.fromCharCode(parseInt(o, 8)));
}

/** The state document's JSON schema, from runtime.md's State section (and the spec's state schema). */
export const STATE_SCHEMA = {
  type: 'object',
  required: ['ociVersion', 'id', 'status', 'bundle'],
  properties: {
    ociVersion: { type: 'string', pattern: '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?$' },
    id: { type: 'string', minLength: 1 },
    status: { type: 'string', enum: ['creating', 'created', 'running', 'stopped', 'paused'] },
    pid: { type: 'integer', minimum: 0 },
    bundle: { type: 'string' },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/** A hook entry that runs a host shell script (runtime namespace hooks). */
export function shHook(script, extra = {}) {
  return { path: '/bin/sh', args: ['sh', '-c', script], ...extra };
}

// Assertion methods and how many values they take before (message, extra).
const ARITY = { ok: 1, notOk: 1, equal: 2, not: 2, same: 2, notSame: 2, strictSame: 2, match: 2, notMatch: 2, type: 2, pass: 0, fail: 0 };

/** A view of `t` whose assertions are all marked todo (they still run, and still report not ok). */
function todoAsserts(t, reason) {
  return new Proxy(t, {
    get(target, prop) {
      const v = target[prop];
      if (typeof v !== 'function') return v;
      if (!(prop in ARITY)) return v.bind(target);
      const n = ARITY[prop];
      return (...args) => v.call(target, ...args.slice(0, n), args[n], { ...(args[n + 1] ?? {}), todo: reason });
    },
  });
}

/**
 * One spec clause, one subtest: clause(title, [{ todo: reason }], async (t) => ...).
 * Unlike tap's own { todo } on a subtest (which skips it), a todo clause still
 * runs every assertion; failures are reported "not ok # TODO reason" without
 * failing the suite, so a known gap stays visible and is re-checked each run.
 */
export function clause(title, ...rest) {
  const fn = rest.pop();
  const opts = rest[0] ?? {};
  return tap.test(title, async (t) => {
    if (!opts.todo) return fn(t);
    try {
      await fn(todoAsserts(t, opts.todo));
    } catch (e) {
      t.fail(`threw: ${e instanceof Error ? e.message : String(e)}`, { todo: opts.todo });
    }
  });
}
