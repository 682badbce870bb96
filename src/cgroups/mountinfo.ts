// Which cgroup hierarchies are mounted, from /proc/self/mountinfo text: the layout
// (v1, v2 or hybrid), each hierarchy's controllers and mount point. Pure.
import { CgroupError } from './errors';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** v1 controllers the kernel knows (super options of a "cgroup" mount name them). */
export const V1_CONTROLLERS: readonly string[] = [
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls',
  'perf_event', 'net_prio', 'hugetlb', 'pids', 'rdma', 'misc',
];

export interface Hierarchy {
  version: 1 | 2;
  /** v1: controllers (and "name=X" for a named hierarchy), sorted; v2: empty. */
  controllers: string[];
  /** Where it is mounted (rebased onto the cgroup root given, see detectLayout). */
  mountpoint: string;
  /** The cgroup path of the mount's root inside the hierarchy ("/" normally). */
  root: string;
}

export interface Layout {
  kind: 'v1' | 'v2' | 'hybrid';
  /** v1 hierarchies, in mountinfo order (one per mount, co-mounted controllers share one). */
  v1: Hierarchy[];
  unified?: Hierarchy;
}

export interface MountEntry { root: string; mountpoint: string; fstype: string; superOptions: string[] }

/** Undo mountinfo's octal escapes (\040 for space, ...). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    if (pre.length < 5 || post.length < 3) continue;
    out.push({ root: unescape(pre[3]), mountpoint: unescape(pre[4]), fstype: post[0], superOptions: post[2].split(',') });
  }
  return out;
}

function under(dir: string, p: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

/**
 * The layout from mountinfo text. Only cgroup/cgroup2 mounts at or below `cgroupRoot`
 * count. When `cgroupRoot` is not the default, mount points below /sys/fs/cgroup are
 * rebased onto it (so real mountinfo text can describe a fixture tree).
 */
export function detectLayout(mountinfo: string, cgroupRoot = DEFAULT_CGROUP_ROOT): Layout {
  const root = cgroupRoot.length > 1 ? cgroupRoot.replace(/\/+$/, '') : cgroupRoot;
  const layout: Layout = { kind: 'v1', v1: [] };
  const seen = new Set<string>();
  for (const m of parseMountinfo(mountinfo)) {
    if (m.fstype !== 'cgroup' && m.fstype !== 'cgroup2') continue;
    let mp = m.mountpoint;
    if (root !== DEFAULT_CGROUP_ROOT && under(DEFAULT_CGROUP_ROOT, mp)) mp = root + mp.slice(DEFAULT_CGROUP_ROOT.length);
    if (!under(root, mp)) continue;
    if (m.fstype === 'cgroup2') {
      if (!layout.unified) layout.unified = { version: 2, controllers: [], mountpoint: mp, root: m.root };
      continue;
    }
    const ctls = m.superOptions.filter((o) => V1_CONTROLLERS.includes(o) || o.startsWith('name=')).sort();
    const key = ctls.join(',');
    if (ctls.length === 0 || seen.has(key)) continue;
    seen.add(key);
    layout.v1.push({ version: 1, controllers: ctls, mountpoint: mp, root: m.root });
  }
  if (layout.v1.length === 0 && !layout.unified) {
    throw new CgroupError(`no cgroup hierarchy is mounted at or below ${root}`);
  }
  layout.kind = layout.v1.length === 0 ? 'v2' : layout.unified ? 'hybrid' : 'v1';
  return layout;
}

/** The v1 hierarchy that has a controller (or "name=X"), if mounted. */
export function v1Hierarchy(layout: Layout, controller: string): Hierarchy | undefined {
  return layout.v1.find((h) => h.controllers.includes(controller));
}
