// Fuzzing config.json: 10,000 configs mutated from the engines' real configs
// (the shared corpus, vendored in test/fixtures/corpus/). Each must end as
// either a running-then-deleted container or a one-line error: never a crash
// (an internal TypeError/RangeError, a stack trace), a hang, or a leaked mount,
// cgroup, process or state directory, and never a path escaping to the host.
//
// Bounded time on a 2-core machine: every mutation goes through the library
// (parse, validate, host policy, plans: what `create` does before it forks),
// and a deterministic sample of them (FUZZ_RUNS, default 100) goes through
// the real `ocits run`. The seed is fixed (FUZZ_SEED to change it), so a
// failure is reproducible; its config is printed.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileRoot, isRoot, leftovers, makeRootfs, ocits, REPO } from '../lib/bundle.mjs';
import { guardHost, hostMountsWith } from '../lib/security.mjs';
import { corpusConfigs } from '../lib/corpus.mjs';

const require = createRequire(import.meta.url);
const lib = (p) => require(path.join(REPO, 'dist/lib', p));
const { parseJsonText, validateSpec } = lib('spec/load.js');
const { checkHostPolicy } = lib('runtime/host-policy.js');
const { planMounts } = lib('linux/mount-plan.js');
const { planDevices } = lib('linux/devices-plan.js');
const { planInit } = lib('runtime/init-plan.js');
const { planResources } = lib('cgroups/plan.js');

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);
const hostUnchanged = guardHost(t);

const TOTAL = Number(process.env.FUZZ_TOTAL ?? 10000);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
let seed = Number(process.env.FUZZ_SEED ?? 20261207);
const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32; };
const pick = (a) => a[Math.floor(rand() * a.length)];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-fuzz-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
const rootfs = makeRootfs(work);
// A path-escape marker: no mutation may make the runtime create it on the host.
const ESCAPE = path.join(os.tmpdir(), `ocits-fuzz-escape-${process.pid}`);

// Values a mutation puts in place of a leaf: wrong types, edge numbers, hostile strings.
const VALUES = [
  '', '/', '.', '..', '../../../../../..' + ESCAPE, ESCAPE, 'a\u0000b', '/proc', '/proc/self/exe', '/proc/self/fd/3', '/dev/null',
  '/sys', '/dev/console', 'x'.repeat(5000), 'tmpfs', 'proc', 'bind', 'rbind', 'ro', 'rshared', 'CAP_SYS_ADMIN', 'CAP_BOGUS',
  'SCMP_ACT_KILL', 'SCMP_ACT_BOGUS', 'RLIMIT_BOGUS', 'kernel.core_pattern', 'net/../kernel/core_pattern', 'network', 'user', 'bogus',
  0, -1, 1, 4294967295, 4294967296, 2 ** 53, -(2 ** 63), 1.5, true, false, null, [], {}, ['x'], { a: 1 },
];
const KEYS = ['destination', 'type', 'source', 'options', 'path', 'args', 'cwd', 'uid', 'gid', 'sysctl', 'namespaces', 'devices', 'major', 'minor', 'allow', 'access'];

/** Every [parent, key] of a JSON tree. */
function slots(node, out = []) {
  if (node === null || typeof node !== 'object') return out;
  for (const k of Array.isArray(node) ? node.keys() : Object.keys(node)) {
    out.push([node, k]);
    slots(node[k], out);
  }
  return out;
}

const INJECT = [
  (c) => { (c.mounts ??= []).push(pick([
    { destination: '/proc', type: 'tmpfs', source: 'tmpfs' }, { destination: '/proc/sys', type: 'bind', source: work, options: ['rbind'] },
    { destination: `/a/../../..${ESCAPE}`, type: 'tmpfs', source: 'tmpfs' }, { destination: '/dev/null', type: 'bind', source: '/proc/sysrq-trigger' },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['rw'] }, { destination: '/x', type: 'overlay', source: 'overlay', options: ['lowerdir=/nonexistent'] },
  ])); },
  (c) => { (c.linux ??= {}).sysctl = { [pick(['kernel.core_pattern', 'vm.overcommit_memory', 'net.ipv4.ip_forward', 'kernel.shmmax', 'net/../../kernel/hostname'])]: '|' + ESCAPE }; },
  (c) => { (c.linux ??= {}).namespaces = [...(c.linux.namespaces ?? []), pick([{ type: 'network', path: '/proc/1/ns/mnt' }, { type: 'bogus' }, { type: 'mount', path: '/nonexistent' }, { type: 'pid' }])]; },
  (c) => { (c.linux ??= {}).devices = [pick([{ path: '/dev/../etc/x', type: 'c', major: 1, minor: 3 }, { path: '/dev/sda', type: 'b', major: 8, minor: 0 }, { path: '/dev/x', type: 'q' }])]; },
  (c) => { (c.linux ??= {}).cgroupsPath = pick(['../../x', '/../../../x', 'a:b:c', '']); },
  (c) => { ((c.linux ??= {}).resources ??= {}).unified = { [pick(['../cgroup.procs', 'memory.max', 'a/b'])]: '1' }; },
  (c) => { if (c.process) c.process.cwd = pick(['/proc/self/fd/7', 'relative', '/nonexistent', `/../../..${ESCAPE}`]); },
  (c) => { if (c.process) c.process.user = pick([{ uid: -1, gid: 0 }, { uid: 4294967295, gid: 0 }, { uid: 0, gid: 0, additionalGids: [4294967296] }]); },
  (c) => { if (c.process) c.process.rlimits = [pick([{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }, { type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }, { type: 'RLIMIT_CORE', soft: -1, hard: -1 }])]; },
  (c) => { c.root = pick([{ path: '/nonexistent' }, { path: '' }, { path: ESCAPE }, { path: rootfs, readonly: 'yes' }]); },
];

function mutate(base) {
  const c = structuredClone(base);
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.25) { pick(INJECT)(c); continue; }
    const all = slots(c);
    if (all.length === 0) continue;
    const [parent, key] = pick(all);
    if (r < 0.45) { if (Array.isArray(parent)) parent.splice(key, 1); else delete parent[key]; }
    else if (r < 0.55 && Array.isArray(parent[key]) && parent[key].length) parent[key].push(structuredClone(parent[key][0]));
    else if (r < 0.62 && parent[key] && typeof parent[key] === 'object' && !Array.isArray(parent[key])) parent[key][pick(KEYS)] = structuredClone(pick(VALUES));
    else parent[key] = structuredClone(pick(VALUES));
  }
  return c;
}

/** A corpus config made runnable here: our rootfs, `true` as the process, no engine-specific paths. */
function runnable(cfg) {
  const c = structuredClone(cfg);
  c.root = { path: rootfs, readonly: true };
  delete c.hooks;
  if (c.process) { c.process.terminal = false; c.process.args = ['true']; c.process.cwd = '/'; }
  for (const ns of c.linux?.namespaces ?? []) delete ns.path;
  if (c.linux) { delete c.linux.cgroupsPath; delete c.linux.seccomp?.listenerPath; }
  return c;
}

const INTERNAL = /^(TypeError|RangeError|ReferenceError|SyntaxError|EvalError)$/;

/** What `create` does before it forks; returns null (accepted) or the one-line error. Throws on an internal error. */
function libraryCheck(text, bundle) {
  try {
    const spec = validateSpec(parseJsonText(text, 'config.json'), 'config.json', { bundle });
    checkHostPolicy(spec);
    planMounts(spec.mounts, { rootfs, userns: false, bundle });
    planDevices(spec.linux?.devices, { userns: false });
    planResources(spec.linux?.resources, { layout: 'hybrid', v1: new Set(['memory', 'pids', 'cpu', 'devices']), v2: new Set() });
    planInit({ spec, id: 'fuzz', bundle, rootfs, state: {}, fifoPath: '/x', preserveFds: 0, noPivot: false });
    return null;
  } catch (e) {
    if (!(e instanceof Error) || INTERNAL.test(e.constructor.name)) throw e;
    return e.message;
  }
}

const hostDir = path.join(work, 'host');
fs.mkdirSync(hostDir);
const bases = corpusConfigs(hostDir).map(({ name, config }) => ({ name, config: runnable(config) }));

t.test(`library level: ${TOTAL} mutated configs are accepted or refused with one line`, async (t) => {
  t.ok(bases.length >= 40, `${bases.length} corpus configs`);
  const internal = [];
  let refused = 0;
  for (let i = 0; i < TOTAL; i++) {
    const { name, config } = bases[i % bases.length];
    const text = JSON.stringify(mutate(config));
    try {
      const err = libraryCheck(text, work);
      if (err !== null) {
        refused++;
        if (/\n/.test(err) || err === '') internal.push(`#${i} (${name}): not one line: ${JSON.stringify(err)}`);
      }
    } catch (e) {
      internal.push(`#${i} (${name}): ${e.constructor.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n')}\nconfig: ${text.slice(0, 2000)}`);
    }
  }
  t.comment(`${refused} of ${TOTAL} refused before any process was made`);
  t.same(internal.slice(0, 5), [], `no internal error (${internal.length} in all)`);
  t.notOk(fs.existsSync(ESCAPE), 'nothing created at the escape marker');
});

t.test(`real runs: ${RUNS} sampled mutations through ocits run`, async (t) => {
  const bad = [];
  let ran = 0;
  for (let i = 0; i < RUNS; i++) {
    const { name, config } = bases[(i * 7) % bases.length];
    const c = mutate(config);
    const text = JSON.stringify(c);
    const bundle = fs.mkdtempSync(path.join(work, 'b-'));
    fs.writeFileSync(path.join(bundle, 'config.json'), text);
    const id = `fuzz-${process.pid}-${i}`;
    const r = ocits(['--root', root, 'run', '--bundle', bundle, id], { timeout: 30000 });
    const err = r.stderr.trim();
    const lines = err === '' ? [] : err.split('\n');
    if (r.status === 0) ran++;
    const problems = [];
    if (r.signal) problems.push(`killed by ${r.signal} (hang)`);
    // A created container's warnings may add lines; an error is always the last one and alone in its kind.
    const errors = lines.filter((l) => /^ocits: run: /.test(l));
    if (r.status !== 0 && r.status !== 1 && errors.length === 0) problems.push(`status ${r.status} without an ocits error (the process's own status is fine only with no error)`);
    if (errors.length > 1) problems.push(`${errors.length} error lines`);
    if (lines.some((l) => /^\s+at /.test(l))) problems.push('a stack trace');
    if (errors.some((l) => /TypeError|RangeError|ReferenceError|Cannot read propert|is not a function|undefined \(reading/.test(l))) problems.push('an internal error');
    ocits(['--root', root, 'delete', '--force', id]);
    const left = leftovers(root, bundle, id);
    if (left.length) problems.push(`leftovers: ${left.join(', ')}`);
    if (problems.length) bad.push(`#${i} (${name}) status ${r.status}: ${problems.join('; ')}\nstderr: ${err.slice(0, 500)}\nconfig: ${text.slice(0, 1500)}`);
    fs.rmSync(bundle, { recursive: true, force: true });
  }
  t.comment(`${ran} of ${RUNS} ran and were deleted, the rest refused`);
  t.same(bad.slice(0, 5), [], `every run ended cleanly (${bad.length} did not)`);
  t.same(hostMountsWith(work), [], 'no mount left under the fuzz directory');
  t.notOk(fs.existsSync(ESCAPE), 'nothing created at the escape marker');
  t.same(fs.readdirSync(root), [], 'the state root is empty');
});

hostUnchanged();
