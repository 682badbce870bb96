// Drives one runtime (ocits or runc) through one corpus config the way the
// engine did (CALLS.txt): create, state, start, probe output, exec --process,
// kill, delete. Everything observed is returned as plain data for comparison.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OCITS, ocitsEnv } from '../../lib/bundle.mjs';
import { engineCalls, makeCorpusBundle, makeProcessFile } from './corpus.mjs';
import { parseProbe } from './probe.mjs';

export const RUNC = '/usr/sbin/runc';
export const RUNTIMES = { ocits: OCITS, runc: RUNC };
const SINK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tty-sink.py');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a command to its exit: { status, stdout, stderr }, killed after timeoutMs. */
export function runAsync(cmd, args, { cwd, stdio, timeoutMs = 30000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: ocitsEnv(), stdio: stdio ?? ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => { stdout += d; });
    child.stderr?.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); resolve({ status: -1, stdout, stderr: String(e) }); });
    const done = (status, signal) => { clearTimeout(timer); resolve({ status: status ?? `signal ${signal}`, stdout, stderr }); };
    child.on('close', done);
    // A process left holding the pipes (a container started with them) must not stall the run.
    child.on('exit', (status, signal) => setTimeout(() => done(status, signal), 2000).unref());
  });
}

async function waitForText(file, marker, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const t = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (t.includes(marker)) return t;
    await sleep(100);
  }
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** A console socket that appends every pty's output to `out`; returns { path, stop }. */
async function ttySink(dir, out) {
  const sock = path.join(dir, 'console.sock');
  const child = spawn('python3', [SINK, sock, out], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout.once('data', r));
  return { path: sock, stop: () => child.kill('SIGKILL') };
}

/** The failure class of a create error message (what podman maps to exit codes). */
export function errorClass(text) {
  if (/no such file or directory|not found/i.test(text)) return 'ENOENT';
  if (/permission denied/i.test(text)) return 'EACCES';
  return text.trim() ? 'other' : 'none';
}

const sortIf = (cond, text) => (cond ? text.split('\n').sort().join('\n') : text);

/** The spec version a runtime writes into state documents (state's own ociVersion is compared as a field). */
const VERSION_RE = /"ociVersion":"[^"]*"/g;

/** The cgroup files the host sees for pid: paths per hierarchy and the values set from resources. */
function hostCgroups(pid, bundle) {
  const out = {};
  let lines = [];
  try { lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n'); } catch { return { error: 'no /proc/pid/cgroup' }; }
  const files = {
    devices: ['devices.list'], pids: ['pids.max'], memory: ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.swappiness'],
    cpu: ['cpu.shares', 'cpu.cfs_quota_us', 'cpu.cfs_period_us'],
  };
  for (const l of lines) {
    const [, ctrls, p] = l.split(':');
    const norm = p.replaceAll(bundle.cgroupLeaf, '@LEAF@').replaceAll(bundle.id, '@ID@');
    out[`path ${ctrls || 'unified'}`] = norm;
    for (const c of ctrls.split(',')) {
      for (const f of files[c] ?? []) {
        // devices.list is sorted: its order is only the order the rules were written in.
        try { out[f] = sortIf(f === 'devices.list', fs.readFileSync(path.join('/sys/fs/cgroup', ctrls, p, f), 'utf8').trim()); } catch (e) { out[f] = `unreadable: ${e.code}`; }
      }
    }
  }
  return out;
}

/** Normalises a runtime's `state` JSON: run-specific values replaced, keys sorted. */
export function normState(text, bundle, pid) {
  let s;
  try { s = JSON.parse(text.replaceAll(bundle.w, '@W@').replaceAll(bundle.id, '@ID@')); } catch { return { unparsable: text.trim().replaceAll(bundle.w, '@W@').slice(0, 200) }; }
  const out = {};
  for (const k of Object.keys(s).sort()) {
    let v = s[k];
    if (k === 'pid') v = v === pid ? '@PID@' : typeof v === 'number' && v > 1 ? '@OTHER-PID@' : v;
    else if (k === 'created') v = typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? '@TIME@' : v;
    else if (typeof v === 'string') v = v.replaceAll(bundle.w, '@W@').replaceAll(bundle.id, '@ID@');
    out[k] = v;
  }
  return out;
}

/** Normalises recorded hook stdin lines ("stage {json}"). */
function normHooks(bundle, pid) {
  if (!fs.existsSync(bundle.hookLog)) return '';
  return fs.readFileSync(bundle.hookLog, 'utf8').trim().split('\n').map((l) => {
    const i = l.indexOf(' ');
    return `${l.slice(0, i)} ${JSON.stringify(normState(l.slice(i + 1).replace(VERSION_RE, '"ociVersion":"@V@"'), bundle, pid))}`;
  }).join('\n');
}

async function stateOf(bin, g, bundle, pid) {
  const r = await runAsync(bin, [...g, 'state', bundle.id]);
  return normState(r.status === 0 ? r.stdout : `exit ${r.status}: ${r.stderr}`, bundle, pid);
}

const norm = (text, bundle) => text.replaceAll(bundle.w, '@W@').replaceAll(bundle.cgroupLeaf, '@LEAF@').replaceAll(bundle.id, '@ID@');

/**
 * One runtime through one config. ctx: { runId, netns, podPid }; processes: the
 * *.process.json files to exec into this container. Returns the observations.
 */
export async function drive(rel, runtime, ctx, processes = []) {
  const bin = RUNTIMES[runtime];
  const bundle = makeCorpusBundle(rel, runtime, ctx);
  const root = path.join(bundle.w, 'root');
  const calls = engineCalls(bundle.engine, bundle);
  const g = ['--root', root, ...calls.global];
  const cwd = bundle.engine === 'podman' ? bundle.hostdir : bundle.dir;
  const outFile = path.join(bundle.w, 'out.txt');
  const res = { config: rel, runtime, ms: {} };
  let t0 = Date.now();
  const lap = (k) => { res.ms[k] = Date.now() - t0; t0 = Date.now(); };
  const terminal = bundle.config.process.terminal === true;
  const sink = terminal || processes.some((p) => p.terminal) ? await ttySink(bundle.w, outFile) : null;
  try {
    const pidFile = path.join(bundle.engine === 'podman' ? bundle.state : bundle.dir, bundle.engine === 'podman' ? 'pidfile' : 'init.pid');
    const createArgs = [...g, ...calls.createLog, 'create', '--bundle', bundle.dir, '--pid-file', pidFile];
    if (terminal) createArgs.push('--console-socket', sink.path);
    const outFd = fs.openSync(outFile, 'a');
    const errFile = path.join(bundle.w, 'create.err');
    const errFd = fs.openSync(errFile, 'w');
    const created = await runAsync(bin, [...createArgs, bundle.id], { cwd, stdio: ['ignore', outFd, errFd] });
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    lap('create');
    const logFile = bundle.engine === 'podman' ? path.join(bundle.state, 'oci-log') : path.join(bundle.dir, 'log.json');
    // The error records of the JSON log (runc also logs warnings there).
    const log = (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '').split('\n').filter((l) => l.includes('"error"')).join('\n');
    const errText = fs.readFileSync(errFile, 'utf8');
    res.create = { ok: created.status === 0, errClass: created.status === 0 ? 'none' : errorClass(log + errText), message: norm((log + errText).trim(), bundle).slice(0, 400) };
    if (!res.create.ok) return res;

    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    res.stateCreated = await stateOf(bin, g, bundle, pid);
    const started = await runAsync(bin, [...g, 'start', bundle.id], { cwd });
    res.start = { ok: started.status === 0, message: norm(started.stderr.trim(), bundle).slice(0, 300) };
    lap('start');
    const text = await waitForText(outFile, '@@END', 20000);
    lap('probe');
    res.probe = parseProbe(norm(text, bundle).replace(VERSION_RE, '"ociVersion":"@V@"'));
    res.host = hostCgroups(pid, bundle);
    res.stateRunning = await stateOf(bin, g, bundle, pid);
    res.execs = {};
    for (const p of processes) res.execs[p.rel] = await execOne(bin, g, bundle, p, cwd, sink);
    lap('execs');
    const killed = await runAsync(bin, [...g, 'kill', bundle.id, '9'], { cwd });
    res.kill = { ok: killed.status === 0, message: norm(killed.stderr.trim(), bundle) };
    for (let i = 0; i < 100; i++) {
      const st = await runAsync(bin, [...g, 'state', bundle.id]);
      if (!st.stdout.includes('"running"')) break;
      await sleep(100);
    }
    lap('kill');
    res.hooks = norm(normHooks(bundle, pid), bundle);
    return res;
  } finally {
    for (const d of calls.deletes) await runAsync(bin, [...g, ...d, bundle.id], { cwd });
    if (!res.create?.ok || res.hooks === undefined) await runAsync(bin, [...g, 'delete', '--force', bundle.id], { cwd });
    res.deleteLeft = fs.existsSync(path.join(root, bundle.id));
    lap('delete');
    sink?.stop();
    bundle.cleanup();
  }
}

async function execOne(bin, g, bundle, p, cwd, sink) {
  const { file, proc } = makeProcessFile(p.rel, bundle, bundle.config);
  const out = path.join(bundle.w, `exec-${path.basename(p.rel)}.out`);
  const outFd = fs.openSync(out, 'a');
  const args = [...g, 'exec', '--pid-file', path.join(bundle.w, `${path.basename(p.rel)}.pid`), '--process', file, '--detach'];
  if (proc.terminal) {
    args.push('--console-socket', sink.path);
    if (bundle.engine === 'podman') args.push('--tty');
    fs.writeFileSync(path.join(bundle.w, 'out.txt'), '');
  }
  const r = await runAsync(bin, [...args, bundle.id], { cwd, stdio: ['ignore', outFd, outFd] });
  fs.closeSync(outFd);
  const text = await waitForText(proc.terminal ? path.join(bundle.w, 'out.txt') : out, '@@END', 20000);
  return { ok: r.status === 0, probe: parseProbe(norm(text, bundle)) };
}
