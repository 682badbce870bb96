// Memory measures for the bench: peak RSS of one command, and the PSS of
// created-but-not-started containers' inits (what a node full of idle
// containers pays).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const GNU_TIME = '/usr/bin/time';

/** Peak RSS in KiB of a command: GNU time's %M, else polling /proc/PID/status VmHWM. */
export async function peakRss(cmd, argv) {
  if (fs.existsSync(GNU_TIME)) {
    const out = path.join(os.tmpdir(), `ocits-bench-${process.pid}-rss`);
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

export const peakRssMethod = () => (fs.existsSync(GNU_TIME) ? `${GNU_TIME} -f %M (the command and the children it waited for)` : '/proc/PID/status VmHWM polling');

/** The fields of /proc/PID/smaps_rollup, in KiB. */
export function smapsRollup(pid) {
  const out = {};
  for (const line of fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * Creates `count` containers of `bundleDir` with runtime `rt`, then reads the PSS of
 * each waiting init (all alive at once, so shared pages are split between them).
 * Returns { pss, anon } means in KiB; deletes the containers.
 */
export function waitingInitPss(rt, bundleDir, count, newId) {
  const ids = [];
  const pids = [];
  try {
    for (let i = 0; i < count; i++) {
      const id = newId(rt, `pss${count}-${i}`);
      const pidFile = path.join(os.tmpdir(), `${id}.pid`);
      const r = spawnSync(rt.bin, ['--root', rt.root, 'create', '--bundle', bundleDir, '--pid-file', pidFile, id], { stdio: 'ignore', timeout: 60000 });
      ids.push(id);
      if (r.status !== 0) throw new Error(`${rt.name} create failed (${r.status ?? r.signal})`);
      pids.push(Number(fs.readFileSync(pidFile, 'utf8')));
      fs.rmSync(pidFile, { force: true });
    }
    const rollups = pids.map(smapsRollup);
    const mean = (k) => rollups.reduce((s, r) => s + (r[k] ?? 0), 0) / rollups.length;
    return { pss: mean('Pss'), anon: mean('Pss_Anon') };
  } finally {
    for (const id of ids) spawnSync(rt.bin, ['--root', rt.root, 'delete', '--force', id], { stdio: 'ignore', timeout: 60000 });
  }
}
