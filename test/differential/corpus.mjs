// Differential test on real engine configs (issue 10, "Real configs as test
// data"): every config of the corpus (podman, containerd, CRI) runs through
// ocits and through runc, each with its own bundle and --root, the way the
// engine called runc (CALLS.txt), with a probe as the process. Every field the
// two show differently fails unless allowlist.mjs names why. Each engine's
// *.process.json files are exec'd into that engine's detached container.
// Needs root, runc and busybox-static (scripts/setup.sh); the corpus is
// test/fixtures/corpus (a copy of the shared one) or $OCITS_CORPUS; its absence is a failure.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isRoot } from '../lib/bundle.mjs';
import { ALLOWLIST } from './allowlist.mjs';
import { allowed, differences, lineDiff } from './lib/compare.mjs';
import { CORPUS, EXEC_BASE, corpusConfigs, corpusProcesses, makeCorpusBundle, makeOwnConfigs } from './lib/corpus.mjs';
import { RUNC, drive, runAsync } from './lib/drive.mjs';
import { summaryTable } from './lib/summary.mjs';

const CONCURRENCY = Number(process.env.OCITS_DIFF_JOBS ?? 4);
const ONLY = process.env.OCITS_DIFF_ONLY ? new RegExp(process.env.OCITS_DIFF_ONLY) : null;

t.ok(isRoot, 'runs as root (real containers)');
t.ok(fs.existsSync(RUNC), `runc at ${RUNC}`);
const ownDir = makeOwnConfigs();
const own = fs.readdirSync(path.join(ownDir, 'own')).sort().map((f) => `own/${f}`);
const configs = [...corpusConfigs(), ...own].filter((c) => !ONLY || ONLY.test(c));
t.ok(configs.length > 0, `corpus configs under ${CORPUS}`);

const runId = `d${process.pid}`;
const netnsName = `ocits-diff-${process.pid}`;
const ctx = { runId, netns: `/run/netns/${netnsName}`, podPid: 0 };

/** A pod for the CRI app containers to join: cri/pod-sandbox.json run by runc, sleeping. */
async function startPod() {
  const b = makeCorpusBundle('cri/pod-sandbox.json', 'pod', ctx, { args: ['/bin/sleep', '900'] });
  const root = path.join(b.w, 'root');
  const pidFile = path.join(b.w, 'pod.pid');
  const c = await runAsync(RUNC, ['--root', root, 'create', '--bundle', b.dir, '--pid-file', pidFile, b.id], { cwd: b.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  if (c.status !== 0) throw new Error(`pod sandbox: runc create: ${c.stderr}`);
  await runAsync(RUNC, ['--root', root, 'start', b.id]);
  ctx.podPid = Number(fs.readFileSync(pidFile, 'utf8'));
  return async () => {
    await runAsync(RUNC, ['--root', root, 'delete', '--force', b.id]);
    b.cleanup();
  };
}

/** Cgroup dirs an ocits container left under this run's parent (any hierarchy). */
function ocitsCgroupsLeft() {
  const r = spawnSync('sh', ['-c', `find /sys/fs/cgroup/*/${runId} /sys/fs/cgroup/*/ocits -type d -name '${runId}-ocits-*' 2>/dev/null`], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').filter(Boolean);
}

function removeCgroups() {
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    const top = path.join('/sys/fs/cgroup', h, runId);
    if (!fs.existsSync(top)) continue;
    spawnSync('sh', ['-c', `find ${top} -depth -type d -exec rmdir {} +`]);
  }
}

async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

spawnSync('ip', ['netns', 'add', netnsName]);
let stopPod = async () => {};
const results = {};
let cgroupsLeft = [];
try {
  stopPod = await startPod();
  const processes = corpusProcesses().map((rel) => ({ rel, terminal: JSON.parse(fs.readFileSync(path.join(CORPUS, rel), 'utf8')).terminal === true }));
  const execsFor = (rel) => processes.filter((p) => EXEC_BASE[p.rel.split('/')[0]] === rel);
  const jobs = configs.flatMap((rel) => ['ocits', 'runc'].map((rt) => ({ rel, rt })));
  const done = await pool(jobs, CONCURRENCY, async ({ rel, rt }) => {
    try {
      return await drive(rel, rt, ctx, execsFor(rel));
    } catch (e) {
      return { config: rel, runtime: rt, harnessError: String(e.stack ?? e) };
    }
  });
  for (const r of done) (results[r.config] ??= {})[r.runtime] = r;
  if (process.env.OCITS_DIFF_DUMP) fs.writeFileSync(process.env.OCITS_DIFF_DUMP, JSON.stringify(results, null, 1));
} finally {
  fs.rmSync(ownDir, { recursive: true, force: true });
  cgroupsLeft = ocitsCgroupsLeft();
  await stopPod();
  spawnSync('ip', ['netns', 'del', netnsName]);
  removeCgroups();
}

t.same(cgroupsLeft, [], 'ocits removed every cgroup it made');
const used = new Set();
const rows = [];
for (const rel of configs) {
  const { ocits, runc } = results[rel] ?? {};
  t.test(rel, async (tt) => {
    tt.notOk(ocits?.harnessError ?? runc?.harnessError, 'the harness ran both runtimes');
    if (!ocits || !runc || ocits.harnessError || runc.harnessError) return;
    const diffs = differences(ocits, runc);
    let explained = 0;
    for (const d of diffs) {
      const entry = allowed(ALLOWLIST, rel, d);
      if (entry) {
        used.add(entry);
        explained++;
        tt.pass(`${d.field} differs: ${entry.reason}`);
      } else {
        tt.fail(`${d.field} differs from runc`, { diff: lineDiff(d.ocits, d.runc) });
      }
    }
    tt.equal(ocits.leftState === true, false, 'ocits leaves no state dir after delete');
    rows.push({
      rel, ran: runc.create?.ok ? 'runs' : `create fails (${runc.create?.errClass})`, same: ocits.create?.ok === runc.create?.ok,
      fields: diffs.map((d) => d.field), unexplained: diffs.length - explained,
    });
  });
}

t.teardown(() => {
  const stale = ALLOWLIST.filter((e) => !used.has(e) && !(ONLY));
  for (const e of stale) t.comment(`allowlist entry matched nothing (remove it?): ${e.config} ${e.field}: ${e.reason}`);
  const md = summaryTable(rows.sort((a, b) => a.rel.localeCompare(b.rel)));
  fs.writeFileSync(path.join(os.tmpdir(), 'ocits-differential-summary.md'), md);
});
