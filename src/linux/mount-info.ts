// Reading the host's mount table: cgroup hierarchies, and the flags a remount
// must keep (a user namespace may not clear flags locked on the source mount).
import * as fs from 'node:fs';
import { MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME, MS_NODIRATIME, MS_RELATIME } from './mount-options';

// statvfs ST_* bit → MS_* flag.
const ST_TO_MS: [number, number][] = [
  [1, MS_RDONLY], [2, MS_NOSUID], [4, MS_NODEV], [8, MS_NOEXEC],
  [1024, MS_NOATIME], [2048, MS_NODIRATIME], [4096, MS_RELATIME],
];

export function lockedFlagsFromStatvfs(stFlags: number): number {
  let ms = 0;
  for (const [st, m] of ST_TO_MS) if (stFlags & st) ms |= m;
  return ms;
}

export interface MountInfoEntry {
  root: string; mountpoint: string; fstype: string; source: string; superOptions: string; options: string;
  /** Optional fields: shared:N, master:N, propagate_from:N, unbindable. */
  optional: string[];
}

export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const l = left.split(' ');
    const r = right.split(' ');
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    out.push({ root: unescape(l[3]), mountpoint: unescape(l[4]), options: l[5], optional: l.slice(6).filter(Boolean), fstype: r[0], source: r[1], superOptions: r[2] ?? '' });
  }
  return out;
}

export interface CgroupHierarchy {
  /** Directory name under the container's /sys/fs/cgroup (e.g. "cpu,cpuacct", "unified"). */
  name: string;
  fstype: 'cgroup' | 'cgroup2';
  mountpoint: string;
  /** The hierarchy's directory mounted there (mountinfo root; "/" unless the host itself is nested). */
  root?: string;
  /** Mount data for a v1 hierarchy: its controllers (e.g. "cpu,cpuacct" or "none,name=systemd"). */
  options: string;
  /** Symlinks to create for co-mounted controllers (e.g. "cpu", "cpuacct"). */
  aliases: string[];
}

const V1_NON_CONTROLLER = new Set(['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'xattr', 'clone_children', 'noprefix', 'cpuset_v2_mode']);

/**
 * One entry per hierarchy: a hierarchy mounted again elsewhere (CRIU's cgroup yard,
 * another tool's mount) would otherwise be mounted twice at the same place (EBUSY).
 * The mount under /sys/fs/cgroup is preferred.
 */
export function cgroupHierarchies(entries: MountInfoEntry[]): CgroupHierarchy[] {
  const all = listCgroupHierarchies(entries);
  const std = (h: CgroupHierarchy) => h.mountpoint.startsWith('/sys/fs/cgroup/') || h.mountpoint === '/sys/fs/cgroup';
  const out: CgroupHierarchy[] = [];
  for (const h of [...all.filter(std), ...all.filter((x) => !std(x))]) {
    if (!out.some((o) => o.fstype === h.fstype && o.options === h.options)) out.push(h);
  }
  return out;
}

function listCgroupHierarchies(entries: MountInfoEntry[]): CgroupHierarchy[] {
  const out: CgroupHierarchy[] = [];
  for (const e of entries) {
    if (e.fstype === 'cgroup2') {
      out.push({ name: e.mountpoint.split('/').pop() || 'unified', fstype: 'cgroup2', mountpoint: e.mountpoint, root: e.root, options: '', aliases: [] });
    } else if (e.fstype === 'cgroup') {
      const words = e.superOptions.split(',').filter((w) => !V1_NON_CONTROLLER.has(w));
      const named = words.find((w) => w.startsWith('name='));
      const controllers = words.filter((w) => !w.startsWith('name='));
      const name = named ? named.slice(5) : controllers.join(',');
      out.push({
        name, fstype: 'cgroup', mountpoint: e.mountpoint, root: e.root,
        options: named ? `none,${named}` : controllers.join(','),
        aliases: controllers.length > 1 ? controllers : [],
      });
    }
  }
  return out;
}

export function hostCgroupHierarchies(): CgroupHierarchy[] {
  return cgroupHierarchies(parseMountInfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')));
}

/** The process's own cgroup in hierarchy h, from /proc/self/cgroup text ("id:controllers:path" lines). */
export function ownCgroupPath(h: CgroupHierarchy, procSelfCgroup: string): string {
  const want = h.fstype === 'cgroup2' ? '' : h.options.replace(/^none,/, '').split(',').sort().join(',');
  for (const line of procSelfCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1].split(',').filter(Boolean).sort().join(',') === want) return m[2];
  }
  return '/';
}
