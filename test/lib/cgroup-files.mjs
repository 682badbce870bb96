// Where a container's cgroup files are on this host's layout, so one test runs on
// cgroup v1, hybrid (controllers on v1) and pure v2 hosts (test:v2's guest) alike.
// Values are given in v1's terms and read back in them: on v2, cpu.max is split
// into quota/period, cpu.weight is compared with the shares converted as runc
// does, cgroup.freeze 1/0 reads as FROZEN/THAWED.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CG = '/sys/fs/cgroup';
const types = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
  .map((l) => l.split(' - ')[1]?.split(' ') ?? []).filter(([type, , opts]) => type === 'cgroup' || type === 'cgroup2');
/** Pure cgroup v2: cgroup2 mounted and no v1 hierarchy. */
export const V2 = types.some(([type]) => type === 'cgroup2') && !types.some(([type]) => type === 'cgroup');

/** v1 name → [v2 file, how to read the v2 value as the v1 one]. */
const V2_FILES = {
  'memory.limit_in_bytes': ['memory.max', (v) => v],
  'pids.max': ['pids.max', (v) => v],
  'pids.current': ['pids.current', (v) => v],
  'cpu.cfs_quota_us': ['cpu.max', (v) => { const q = v.split(' ')[0]; return q === 'max' ? '-1' : q; }],
  'cpu.cfs_period_us': ['cpu.max', (v) => v.split(' ')[1]],
  'cpu.shares': ['cpu.weight', (v) => v],
  'cpuset.cpus': ['cpuset.cpus', (v) => v],
  'freezer.state': ['cgroup.freeze', (v) => (v === '1' ? 'FROZEN' : 'THAWED')],
};
const controllerOf = (v1name) => (v1name.startsWith('freezer.') ? 'freezer' : v1name.split('.')[0]);

/** runc's cpu.shares → cpu.weight conversion (the runtime-spec's shares are v1's). */
export const sharesToWeight = (shares) => (shares === 0 ? 0 : Math.floor(1 + ((shares - 2) * 9999) / 262142));

/** The value a file holds for `shares` on this layout (cpu.shares, or cpu.weight on v2). */
export const sharesValue = (shares) => String(V2 ? sharesToWeight(shares) : shares);

/** The container's directory for a controller (the default cgroupsPath, ocits/<id>). */
export const cgDir = (controller, id) => (V2 ? path.join(CG, 'ocits', id) : path.join(CG, controller, 'ocits', id));

/** Every directory named ocits/<id> under the cgroup mounts. */
export const cgroupDirsOf = (id) => (V2 ? [path.join(CG, 'ocits', id)]
  : fs.readdirSync(CG).map((c) => path.join(CG, c, 'ocits', id))).filter((d) => fs.existsSync(d));

/** Reads a container's cgroup file named in v1's terms, on the host: its value in v1's terms. */
export function readCg(id, v1name) {
  const dir = cgDir(controllerOf(v1name), id);
  if (!V2) return fs.readFileSync(path.join(dir, v1name), 'utf8').trim();
  const [file, conv] = V2_FILES[v1name];
  return conv(fs.readFileSync(path.join(dir, file), 'utf8').trim());
}

/** Inside a container (its cgroup namespace, /sys/fs/cgroup as the runtime mounts it): the path of a file named in v1's terms. */
export const insidePath = (v1name) => (V2 ? path.join(CG, V2_FILES[v1name][0]) : path.join(CG, controllerOf(v1name), v1name));

/** A shell snippet printing the file's value in v1's terms (for cpu.max: quota then period on two lines, as v1's two files). */
export function insideCat(...v1names) {
  if (!V2) return `cat ${v1names.map(insidePath).join(' ')}`;
  return v1names.map((n) => {
    if (n === 'cpu.cfs_quota_us') return `cut -d" " -f1 ${insidePath(n)}`;
    if (n === 'cpu.cfs_period_us') return `cut -d" " -f2 ${insidePath(n)}`;
    return `cat ${insidePath(n)}`;
  }).join('; ');
}
