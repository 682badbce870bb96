// `npm run bench`: ocits beside Debian's runc on the same busybox bundle
// running `true`, N iterations (BENCH_N, default 20), interleaved:
//   (a) `run` end to end;
//   (b) create, start, wait (poll `state` until "stopped"), delete, each timed;
//   (c) `node -e 0` (as is, and in the environment bin/ocits gives itself), `--version`
//       and `state <unknown>`: start-up overhead.
// Prints medians (ms), the ocits/runc ratio and ocits minus `node -e 0`, then
// peak RSS (from /usr/bin/time -f %M, or /proc polling) of each command.
// Separate state roots per runtime; every container is deleted. Exits 0.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { makeBundle, makeRoot, OCITS, isRoot } from '../test/lib/bundle.mjs';
import { timed, Samples, printTable, fmt } from './stats.mjs';

const N = Math.max(1, Number(process.env.BENCH_N ?? 20) || 20);
const RSS_RUNS = 3;
const RUNC = '/usr/sbin/runc';
const GNU_TIME = '/usr/bin/time';
const PREFIX = `bench-${process.pid}`;

if (!isRoot) {
  console.log('bench: containers need root; nothing measured');
  process.exit(0);
}

const runtimes = [{ name: 'ocits', bin: OCITS, root: makeRoot() }];
if (fs.existsSync(RUNC)) runtimes.push({ name: 'runc', bin: RUNC, root: makeRoot() });
else console.log(`bench: ${RUNC} not found (scripts/setup.sh installs it); ocits only`);

const bundle = makeBundle(['true']);
const used = new Set();
let cleaned = false;

function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const rt of runtimes) {
    const listed = spawnSync(rt.bin, ['--root', rt.root, 'list', '-q'], { encoding: 'utf8' }).stdout ?? '';
    const ids = new Set([...used].filter((k) => k.startsWith(`${rt.name}:`)).map((k) => k.slice(rt.name.length + 1)));
    for (const id of listed.split('\n').filter((l) => l.startsWith(PREFIX))) ids.add(id);
    for (const id of ids) spawnSync(rt.bin, ['--root', rt.root, 'delete', '--force', id], { stdio: 'ignore' });
    fs.rmSync(rt.root, { recursive: true, force: true });
  }
  bundle.cleanup();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

const args = (rt, ...rest) => ['--root', rt.root, ...rest];
const newId = (rt, tag) => { const id = `${PREFIX}-${rt.name}-${tag}`; used.add(`${rt.name}:${id}`); return id; };

function stateOf(rt, id) {
  const r = spawnSync(rt.bin, args(rt, 'state', id), { encoding: 'utf8' });
  try { return JSON.parse(r.stdout).status; } catch { return null; }
}

/** Polls `state` until the container is stopped; { ms, ok }. */
function waitStopped(rt, id, limitMs = 20000) {
  const t0 = process.hrtime.bigint();
  for (;;) {
    const stopped = stateOf(rt, id) === 'stopped';
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (stopped) return { ms, ok: true };
    if (ms > limitMs) return { ms, ok: false };
  }
}

// runc 1.1 reads the same config; check both runtimes can run the bundle at all.
for (const rt of runtimes) {
  const id = newId(rt, 'probe');
  const r = spawnSync(rt.bin, args(rt, 'run', '--bundle', bundle.dir, id), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  if (r.status !== 0) console.log(`bench: ${rt.name} run of the bundle failed (${r.status}): ${(r.stderr ?? '').trim()}`);
}

// bin/ocits drops NODE_OPTIONS and NODE_EXTRA_CA_CERTS (the latter makes node parse a CA
// bundle at start-up: ~50 ms here); the fair baseline is a node started the same way.
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && k !== 'NODE_EXTRA_CA_CERTS'));

const S = new Samples();
const record = (row, rt, r, okStatus = 0) => {
  S.add(row, rt.name, r.ms);
  if (okStatus !== null && r.status !== okStatus) S.fail(`${rt.name} ${row}: exit ${r.status ?? r.signal}`);
};

console.log(`bench: ${N} iterations, interleaved; bundle ${bundle.dir} running "true"`);
for (let i = 0; i < N; i++) {
  S.add('node -e 0', 'node', timed(process.execPath, ['-e', '0']).ms);
  S.add('node -e 0', 'node-clean', timed(process.execPath, ['-e', '0'], { env: CLEAN_ENV }).ms);
  const order = i % 2 === 0 ? runtimes : [...runtimes].reverse();
  for (const rt of order) {
    // (a) run, end to end
    record('run', rt, timed(rt.bin, args(rt, 'run', '--bundle', bundle.dir, newId(rt, `run${i}`))));
    // (b) the lifecycle, step by step
    const id = newId(rt, `life${i}`);
    const c = timed(rt.bin, args(rt, 'create', '--bundle', bundle.dir, id));
    record('create', rt, c);
    const s = timed(rt.bin, args(rt, 'start', id));
    record('start', rt, s);
    const w = waitStopped(rt, id);
    S.add('wait (poll state)', rt.name, w.ms);
    if (!w.ok) S.fail(`${rt.name} wait: not stopped after ${w.ms.toFixed(0)} ms`);
    const d = timed(rt.bin, args(rt, 'delete', id));
    record('delete', rt, d);
    S.add('create+start+wait+delete', rt.name, c.ms + s.ms + w.ms + d.ms);
    // (c) start-up overhead
    record('--version', rt, timed(rt.bin, ['--version']));
    record('state <unknown>', rt, timed(rt.bin, args(rt, 'state', `${PREFIX}-unknown`)), null);
  }
}

// ---- Peak RSS (separate, untimed runs) ----

/** Peak RSS in KiB of a command: GNU time's %M, else polling /proc/PID/status VmHWM. */
async function peakRss(cmd, argv) {
  if (fs.existsSync(GNU_TIME)) {
    const out = path.join(os.tmpdir(), `${PREFIX}-rss`);
    spawnSync(GNU_TIME, ['-f', '%M', '-o', out, cmd, ...argv], { stdio: 'ignore', timeout: 60000 });
    const kib = Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
    fs.rmSync(out, { force: true });
    return kib;
  }
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: 'ignore' });
    let peak = 0;
    const poll = () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch { /* exited */ }
    };
    const timer = setInterval(poll, 2);
    poll();
    child.on('exit', () => { clearInterval(timer); resolve(peak); });
  });
}

const RSS = new Samples();
const rssMax = (row, col, kib) => RSS.add(row, col, kib);
for (let i = 0; i < RSS_RUNS; i++) {
  rssMax('node -e 0', 'node', await peakRss(process.execPath, ['-e', '0']));
  for (const rt of runtimes) {
    rssMax('run', rt.name, await peakRss(rt.bin, args(rt, 'run', '--bundle', bundle.dir, newId(rt, `rssrun${i}`))));
    const id = newId(rt, `rss${i}`);
    rssMax('create', rt.name, await peakRss(rt.bin, args(rt, 'create', '--bundle', bundle.dir, id)));
    rssMax('state', rt.name, await peakRss(rt.bin, args(rt, 'state', id)));
    rssMax('start', rt.name, await peakRss(rt.bin, args(rt, 'start', id)));
    waitStopped(rt, id);
    rssMax('delete', rt.name, await peakRss(rt.bin, args(rt, 'delete', id)));
    rssMax('--version', rt.name, await peakRss(rt.bin, ['--version']));
  }
}

// ---- Report ----

const nodeAsIs = S.median('node -e 0', 'node');
const node = S.median('node -e 0', 'node-clean');
const hasRunc = runtimes.length > 1;
const rows = [['step (median ms)', 'ocits', 'runc', 'ocits/runc', 'ocits - node']];
for (const row of ['run', 'create', 'start', 'wait (poll state)', 'delete', 'create+start+wait+delete', '--version', 'state <unknown>']) {
  const o = S.median(row, 'ocits');
  const r = hasRunc ? S.median(row, 'runc') : NaN;
  rows.push([row, fmt(o), fmt(r), Number.isFinite(r) ? `${fmt(o / r, 2)}x` : '-', fmt(o - node)]);
}
rows.push(['node -e 0 (baseline, ocits env)', fmt(node), '-', '-', '0.0']);
rows.push(['node -e 0 (this env as is)', fmt(nodeAsIs), '-', '-', fmt(nodeAsIs - node)]);
console.log('');
printTable(rows);
console.log(`\nBaseline: node -e 0 without NODE_OPTIONS and NODE_EXTRA_CA_CERTS, which bin/ocits unsets for itself.`);
console.log(`"wait" polls each runtime's own \`state\` back to back, so it includes that command's start-up cost.`);

const maxOf = (row, col) => Math.max(...(RSS.map.get(`${row}\0${col}`) ?? [NaN]));
const mib = (kib) => (Number.isFinite(kib) ? (kib / 1024).toFixed(1) : '-');
const rssRows = [['peak RSS (MiB, max of ' + RSS_RUNS + ')', 'ocits', 'runc', 'ocits/runc']];
for (const row of ['run', 'create', 'start', 'state', 'delete', '--version']) {
  const o = maxOf(row, 'ocits');
  const r = hasRunc ? maxOf(row, 'runc') : NaN;
  rssRows.push([row, mib(o), mib(r), Number.isFinite(r) ? `${fmt(o / r, 2)}x` : '-']);
}
rssRows.push(['node -e 0 (baseline)', mib(maxOf('node -e 0', 'node')), '-', '-']);
console.log('');
printTable(rssRows);
console.log(`(${fs.existsSync(GNU_TIME) ? `${GNU_TIME} -f %M: the largest of the command and the children it waited for` : '/proc/PID/status VmHWM polling'})`);

if (S.failures.length > 0) {
  console.log(`\n${S.failures.length} failed command(s):`);
  for (const f of [...new Set(S.failures)].slice(0, 20)) console.log(`  ${f}`);
}
cleanup();
process.exitCode = 0;
