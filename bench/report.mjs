// The bench's tables as Markdown, and docs/perf.md's generated section.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { execSync } from 'node:child_process';
import { fmt } from './stats.mjs';

const BEGIN = '<!-- bench:begin (written by `npm run bench`) -->';
const END = '<!-- bench:end -->';

function table(rows) {
  const line = (r) => `| ${r.join(' | ')} |`;
  return [line(rows[0]), line(rows[0].map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.slice(1).map(line)].join('\n');
}

const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${fmt(a / b, 2)}×` : '-');
const mib = (kib) => (Number.isFinite(kib) ? (kib / 1024).toFixed(1) : '-');

/** Markdown tables of times (medians), peak RSS (max of runs) and waiting-init PSS (means). */
export function renderTables({ S, CPU, RSS, PSS, names, parallel, rssMethod }) {
  const refs = names.filter((n) => n !== 'ocits');
  const node = S.median('node -e 0', 'node');
  const head = (what) => [what, ...names, ...refs.map((r) => `ocits/${r}`)];
  const timeRows = [head('median ms'), ['`node -e 0` (floor)', fmt(node), ...refs.map(() => '-'), ...refs.map(() => '-')]];
  for (const row of ['--version', 'state <unknown>', 'state', 'list', 'kill', 'run true', 'create', 'start', 'wait (poll state)', 'delete',
    'create+start+wait+delete', 'exec true', `${parallel} parallel runs`, 'podman run --rm']) {
    if (!names.some((n) => S.count(row, n) > 0)) continue;
    const v = names.map((n) => S.median(row, n));
    timeRows.push([row, ...v.map((x) => fmt(x)), ...refs.map((r, i) => ratio(v[0], v[i + 1]))]);
  }
  const cpuNode = CPU.median('node -e 0', 'node');
  const cpuRows = [head('median CPU ms (user+sys)'), ['`node -e 0` (floor)', fmt(cpuNode), ...refs.map(() => '-'), ...refs.map(() => '-')]];
  for (const row of ['--version', 'state', 'list', 'run true', 'create', 'start', 'delete']) {
    const v = names.map((n) => CPU.median(row, n));
    cpuRows.push([row, ...v.map((x) => fmt(x)), ...refs.map((r, i) => ratio(v[0], v[i + 1]))]);
  }
  const maxOf = (row, col) => Math.max(...(RSS.map.get(`${row}\0${col}`) ?? [NaN]));
  const rssRows = [head('peak RSS, MiB'), ['`node -e 0`', mib(maxOf('node -e 0', 'node')), ...refs.map(() => '-'), ...refs.map(() => '-')]];
  for (const row of ['--version', 'state', 'run true', 'create', 'start', 'delete']) {
    const v = names.map((n) => maxOf(row, n));
    rssRows.push([row, ...v.map(mib), ...refs.map((r, i) => ratio(v[0], v[i + 1]))]);
  }
  const pssRows = [head('waiting init, MiB (mean)')];
  for (const row of PSS.map.size ? [...new Set([...PSS.map.keys()].map((k) => k.split('\0')[0]))] : []) {
    const v = names.map((n) => PSS.median(row, n));
    pssRows.push([row, ...v.map(mib), ...refs.map((r, i) => ratio(v[0], v[i + 1]))]);
  }
  return ['Wall time, medians:', '', table(timeRows), '',
    'CPU time of the command and the children it waited for (wait4 rusage; `create` does not wait for the init, `run` does), medians:', '', table(cpuRows), '', `Peak RSS: ${rssMethod}, the largest of 3 runs.`, '', table(rssRows), '',
    'PSS of created, not started containers (`/proc/PID/smaps_rollup` of each init, all alive at once).', '', table(pssRows)].join('\n');
}

/** Replaces the generated section of docs/perf.md (or appends it), keeping the hand-written text. */
export function writePerfDoc(file, tables, { n }) {
  let cpu = '';
  try { cpu = execSync("grep -m1 'model name' /proc/cpuinfo", { encoding: 'utf8' }).split(':')[1].trim(); } catch { /* unknown */ }
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const section = [BEGIN, '',
    `Last run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} × ${cpu || 'cpu'}, kernel ${os.release()}, node ${process.version}, ${n} iterations, load average before the report ${load}.`,
    '', tables, '', END].join('\n');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Performance\n';
  const a = old.indexOf(BEGIN);
  const b = old.indexOf(END);
  const next = a >= 0 && b > a ? `${old.slice(0, a)}${section}${old.slice(b + END.length)}` : `${old.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(file, next);
}
