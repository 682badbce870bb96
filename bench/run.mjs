// `npm run bench`: ocits beside runc and crun (Debian's, installed by
// scripts/setup.sh) on the same busybox bundle, in one run, interleaved, as
// medians and ratios. BENCH_N iterations (default 10); BENCH_PODMAN=0 skips the
// podman rows. Writes the tables to docs/perf.md (BENCH_WRITE=0: print only).
// Rows: `node -e 0` (the floor of any Node program), --version, state, list,
// run of `true`, create/start/wait/delete, kill, exec into a running container,
// 20 parallel runs, `podman run --rm`, peak RSS per command, and the PSS of 1 and
// 50 created (waiting) inits. Every container is deleted. Exits 0.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeBundle, isRoot, REPO } from '../test/lib/bundle.mjs';
import { timed, cpuTimed, Samples } from './stats.mjs';
import { enterBenchNamespace, benchRuntimes, CLEAN_ENV } from './runtimes.mjs';
import { peakRss, peakRssMethod, waitingInitPss } from './memory.mjs';
import { renderTables, writePerfDoc } from './report.mjs';

const N = Math.max(1, Number(process.env.BENCH_N ?? 10) || 10);
const PARALLEL = 20;
const PSS_MANY = Number(process.env.BENCH_PSS_MANY ?? 50) || 50;
const PREFIX = `bench-${process.pid}`;

if (!isRoot) {
  console.log('bench: containers need root; nothing measured');
  process.exit(0);
}
if (enterBenchNamespace(fileURLToPath(import.meta.url))) process.exit();

const runtimes = benchRuntimes();
const names = runtimes.map((r) => r.name);
// crun 1.8 knows runtime-spec versions up to 1.0.x only.
const asRuncSpec = (c) => { c.ociVersion = '1.0.2-dev'; };
const bundle = makeBundle(['true'], asRuncSpec);
const sleeper = makeBundle(['sleep', '1000'], asRuncSpec);
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
  sleeper.cleanup();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

const args = (rt, ...rest) => ['--root', rt.root, ...rest];
const newId = (rt, tag) => { const id = `${PREFIX}-${rt.name}-${tag}`; used.add(`${rt.name}:${id}`); return id; };
const stateOf = (rt, id) => {
  try { return JSON.parse(spawnSync(rt.bin, args(rt, 'state', id), { encoding: 'utf8' }).stdout).status; } catch { return null; }
};
function waitStopped(rt, id, limitMs = 20000) {
  const t0 = process.hrtime.bigint();
  for (;;) {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (stateOf(rt, id) === 'stopped') return { ms, ok: true };
    if (ms > limitMs) return { ms, ok: false };
  }
}

for (const rt of runtimes) {
  const r = spawnSync(rt.bin, args(rt, 'run', '--bundle', bundle.dir, newId(rt, 'probe')), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  if (r.status !== 0) console.log(`bench: ${rt.name} cannot run the bundle (${r.status}): ${(r.stderr ?? '').trim()}`);
}

const S = new Samples();
const record = (row, rt, r, okStatus = 0) => {
  S.add(row, rt.name, r.ms);
  if (okStatus !== null && r.status !== okStatus) S.fail(`${rt.name} ${row}: exit ${r.status ?? r.signal}`);
};

/** 20 `run`s at once; wall time from the first spawn to the last exit. */
function parallelRuns(rt, round) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let left = PARALLEL;
    let bad = 0;
    for (let k = 0; k < PARALLEL; k++) {
      const c = spawn(rt.bin, args(rt, 'run', '--bundle', bundle.dir, newId(rt, `par${round}-${k}`)), { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => { err += d; });
      c.on('exit', (code) => {
        if (code !== 0) { bad++; S.fail(`${rt.name} parallel run: exit ${code}: ${err.trim()}`); }
        if (--left === 0) resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: bad ? 1 : 0 });
      });
    }
  });
}

console.log(`bench: ${N} iterations, interleaved (${names.join(', ')}); bundle ${bundle.dir}`);
for (let i = 0; i < N; i++) {
  S.add('node -e 0', 'node', timed(process.execPath, ['-e', '0'], { env: CLEAN_ENV }).ms);
  const order = i % 2 === 0 ? runtimes : [...runtimes].reverse();
  for (const rt of order) {
    record('--version', rt, timed(rt.bin, ['--version']));
    record('state <unknown>', rt, timed(rt.bin, args(rt, 'state', `${PREFIX}-unknown`)), null);
    record('run true', rt, timed(rt.bin, args(rt, 'run', '--bundle', bundle.dir, newId(rt, `run${i}`))));
    const id = newId(rt, `life${i}`);
    const c = timed(rt.bin, args(rt, 'create', '--bundle', bundle.dir, id));
    record('create', rt, c);
    record('state', rt, timed(rt.bin, args(rt, 'state', id)));
    record('list', rt, timed(rt.bin, args(rt, 'list')));
    const s = timed(rt.bin, args(rt, 'start', id));
    record('start', rt, s);
    const w = waitStopped(rt, id);
    S.add('wait (poll state)', rt.name, w.ms);
    if (!w.ok) S.fail(`${rt.name} wait: not stopped after ${w.ms.toFixed(0)} ms`);
    const d = timed(rt.bin, args(rt, 'delete', id));
    record('delete', rt, d);
    S.add('create+start+wait+delete', rt.name, c.ms + s.ms + w.ms + d.ms);
    // a running container: exec, then kill
    const lid = newId(rt, `sleep${i}`);
    spawnSync(rt.bin, args(rt, 'run', '-d', '--bundle', sleeper.dir, lid), { stdio: 'ignore', timeout: 60000 });
    record('exec true', rt, timed(rt.bin, args(rt, 'exec', lid, 'true')));
    record('kill', rt, timed(rt.bin, args(rt, 'kill', lid, 'KILL')));
    waitStopped(rt, lid);
    spawnSync(rt.bin, args(rt, 'delete', '--force', lid), { stdio: 'ignore' });
  }
}
// ---- CPU time (user + system from wait4): steadier than wall time on a busy machine ----
const CPU = new Samples();
for (let i = 0; i < N; i++) {
  CPU.add('node -e 0', 'node', cpuTimed(process.execPath, ['-e', '0'], { env: CLEAN_ENV }).ms);
  for (const rt of i % 2 === 0 ? runtimes : [...runtimes].reverse()) {
    const add = (row, r) => { CPU.add(row, rt.name, r.ms); if (r.status !== 0) S.fail(`${rt.name} ${row} (cpu): exit ${r.status}`); };
    add('--version', cpuTimed(rt.bin, ['--version']));
    add('run true', cpuTimed(rt.bin, args(rt, 'run', '--bundle', bundle.dir, newId(rt, `cpurun${i}`))));
    const id = newId(rt, `cpu${i}`);
    add('create', cpuTimed(rt.bin, args(rt, 'create', '--bundle', bundle.dir, id)));
    add('state', cpuTimed(rt.bin, args(rt, 'state', id)));
    add('list', cpuTimed(rt.bin, args(rt, 'list')));
    add('start', cpuTimed(rt.bin, args(rt, 'start', id)));
    waitStopped(rt, id);
    add('delete', cpuTimed(rt.bin, args(rt, 'delete', id)));
  }
}

const parRounds = Math.max(1, Math.min(3, N));
for (let i = 0; i < parRounds; i++) for (const rt of i % 2 ? [...runtimes].reverse() : runtimes) record(`${PARALLEL} parallel runs`, rt, await parallelRuns(rt, i));

// ---- podman run --rm through each runtime ----
if (process.env.BENCH_PODMAN !== '0') {
  try {
    const { startPodman, IMAGE } = await import('../test/engines/lib.mjs');
    const pm = startPodman();
    try {
      const withPodman = runtimes.filter((rt) => rt.name !== 'crun' || pm.runtimes.includes('crun'));
      for (let i = 0; i < Math.max(3, Math.ceil(N / 2)); i++) {
        for (const rt of i % 2 ? [...withPodman].reverse() : withPodman) {
          const t0 = process.hrtime.bigint();
          const r = pm.podman(rt.name, ['run', '--rm', '--network', 'none', IMAGE, 'true']);
          record('podman run --rm', rt, { ms: Number(process.hrtime.bigint() - t0) / 1e6, status: r.status });
        }
      }
    } finally {
      const left = pm.close();
      if (left.length) console.log(`bench: podman left: ${left.join('; ')}`);
    }
  } catch (e) {
    console.log(`bench: podman rows skipped: ${e.message}`);
  }
}

// ---- memory ----
const RSS = new Samples();
for (let i = 0; i < 3; i++) {
  RSS.add('node -e 0', 'node', await peakRss(process.execPath, ['-e', '0']));
  for (const rt of runtimes) {
    RSS.add('run true', rt.name, await peakRss(rt.bin, args(rt, 'run', '--bundle', bundle.dir, newId(rt, `rssrun${i}`))));
    const id = newId(rt, `rss${i}`);
    RSS.add('create', rt.name, await peakRss(rt.bin, args(rt, 'create', '--bundle', bundle.dir, id)));
    RSS.add('state', rt.name, await peakRss(rt.bin, args(rt, 'state', id)));
    RSS.add('start', rt.name, await peakRss(rt.bin, args(rt, 'start', id)));
    waitStopped(rt, id);
    RSS.add('delete', rt.name, await peakRss(rt.bin, args(rt, 'delete', id)));
    RSS.add('--version', rt.name, await peakRss(rt.bin, ['--version']));
  }
}
const PSS = new Samples();
for (const rt of runtimes) {
  for (const count of [1, PSS_MANY]) {
    try {
      const p = waitingInitPss(rt, bundle.dir, count, newId);
      PSS.add(`PSS, ${count} waiting`, rt.name, p.pss);
      PSS.add(`anon PSS, ${count} waiting`, rt.name, p.anon);
    } catch (e) {
      S.fail(`${rt.name} waiting-init PSS (${count}): ${e.message}`);
    }
  }
}

const tables = renderTables({ S, CPU, RSS, PSS, names, parallel: PARALLEL, rssMethod: peakRssMethod() });
console.log(`\n${tables}`);
if (S.failures.length > 0) {
  console.log(`\n${S.failures.length} failed command(s):`);
  for (const f of [...new Set(S.failures)].slice(0, 20)) console.log(`  ${f}`);
}
if (process.env.BENCH_WRITE !== '0') {
  const file = path.join(REPO, 'docs/perf.md');
  writePerfDoc(file, tables, { n: N });
  console.log(`\nbench: tables written to ${path.relative(REPO, file)}`);
}
cleanup();
process.exitCode = 0;
