// Where a mount may land, checked before it is made. Pure: the file system is
// reached only through the injected functions.
//
// - proc and sysfs go on ordinary directories only (CVE-2019-19921,
//   CVE-2023-27561, CVE-2023-28642): a symlinked /proc would move procfs
//   elsewhere and leave /proc/self/attr, masks and sysctl writes pointing at
//   files the image controls. runc checks the last component; every
//   component is checked here, since a link anywhere on the way is followed.
// - Only procfs may be mounted at /proc, and nothing under it except files
//   that lxcfs emulates (CVE-2019-16884: a volume over /proc turned the
//   AppArmor label write into a write to a plain file).
import { cleanPath, isSubpath } from './paths';

export type NodeKind = 'dir' | 'symlink' | 'other' | 'missing';

/** Filesystems that must be mounted on a real directory of the rootfs. */
export const ORDINARY_DIR_TYPES: readonly string[] = ['proc', 'sysfs'];

/** The files under /proc that may be mount destinations (runc's list: what lxcfs provides). */
export const PROC_MOUNT_ALLOWLIST: readonly string[] = [
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid', '/proc/sys/crypto/fips_enabled',
];

/**
 * proc/sysfs destinations: every component below the root must be a directory
 * or not exist yet. `kindOf` gets a cleaned container path. Returns the reason
 * for refusing, or null.
 */
export function ordinaryDirRefusal(type: string, destination: string, kindOf: (containerPath: string) => NodeKind): string | null {
  if (!ORDINARY_DIR_TYPES.includes(type)) return null;
  const parts = cleanPath('/' + destination).split('/').filter((p) => p !== '');
  let at = '';
  for (const part of parts) {
    at += '/' + part;
    const kind = kindOf(at);
    if (kind === 'missing') return null;
    if (kind === 'dir') continue;
    const what = kind === 'symlink' ? 'a symbolic link' : 'not a directory';
    return `filesystem "${type}" must be mounted on an ordinary directory: ${at} in the rootfs is ${what}`;
  }
  return null;
}

export interface ProcTargetQuery {
  /** Container path the destination resolved to (symlinks followed inside the rootfs). */
  resolved: string;
  /** Filesystem type of the mount (null for a bind). */
  type: string | null;
  /** For a bind: is its source a procfs? Called only when it matters. */
  sourceIsProcfs: () => boolean;
}

/** Mounts at or under /proc (after resolution): the reason for refusing, or null. */
export function procTargetRefusal(q: ProcTargetQuery): string | null {
  const dest = cleanPath(q.resolved);
  if (!isSubpath('/proc', dest)) return null;
  if (dest === '/proc') {
    if (q.type === 'proc') return null;
    if (q.type === null && q.sourceIsProcfs()) return null;
    return `only a procfs may be mounted at /proc (this is ${q.type === null ? 'a bind of a non-procfs source' : `type "${q.type}"`})`;
  }
  if (PROC_MOUNT_ALLOWLIST.includes(dest)) return null;
  return `${dest} is inside /proc: only ${PROC_MOUNT_ALLOWLIST.join(', ')} may be mount destinations there`;
}
