// Small helpers for bench/run.mjs: timing, medians, table printing.
import { spawnSync } from 'node:child_process';

/** Runs a command synchronously with stdio ignored; { ms, status }. */
export function timed(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: opts.timeout ?? 60000, env: opts.env ?? process.env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, status: r.status, signal: r.signal };
}

const CPU_TIME = new URL('./cpu-time.py', import.meta.url).pathname;

/** CPU time (user + system, ms, from wait4) of a command and the children it waited for; { ms, status }. */
export function cpuTimed(cmd, args, opts = {}) {
  const r = spawnSync('python3', [CPU_TIME, cmd, ...args], { encoding: 'utf8', timeout: opts.timeout ?? 60000, env: opts.env ?? process.env });
  const [ms, status] = (r.stdout ?? '').trim().split(' ').map(Number);
  return { ms: Number.isFinite(ms) ? ms : NaN, status: Number.isFinite(status) ? status : null };
}

export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Collects samples by (row, column). */
export class Samples {
  constructor() { this.map = new Map(); this.failures = []; }
  add(row, col, ms) {
    const key = `${row}\0${col}`;
    if (!this.map.has(key)) this.map.set(key, []);
    this.map.get(key).push(ms);
  }
  fail(what) { this.failures.push(what); }
  median(row, col) { return median(this.map.get(`${row}\0${col}`) ?? []); }
  count(row, col) { return (this.map.get(`${row}\0${col}`) ?? []).length; }
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** Prints rows of cells as an aligned text table (first row is the header). */
export function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

export { fmt };
