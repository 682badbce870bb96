// linux.rootfsPropagation: what the init does to mount propagation around pivot_root.
//
// pivot_root(2) refuses (EINVAL) when the new root, its parent mount or the current
// root is shared. A shared or unbindable rootfsPropagation is applied to the whole
// namespace first (so that bind mounts of host paths become peers of the host's
// mounts), then the mounts pivot_root checks are made private, and the requested
// type is given to the container's "/" once it is the root.
import { parseMountOptions, MS_SLAVE, MS_REC, MS_SHARED, MS_UNBINDABLE } from './mount-options';
import type { MountInfoEntry } from './mount-info';

export interface RootPropagationPlan {
  /** Applied to "/" of the new mount namespace before anything else (runc: rslave by default). */
  before: number;
  /** Applied to the container's "/" after pivot_root; null when nothing is to be done. */
  after: number | null;
}

export function planRootPropagation(rootfsPropagation: string | undefined): RootPropagationPlan {
  if (rootfsPropagation === undefined) return { before: MS_SLAVE | MS_REC, after: null };
  const flag = parseMountOptions([rootfsPropagation]).propagation[0];
  if (flag === undefined) throw new Error(`linux.rootfsPropagation: unknown propagation "${rootfsPropagation}"`);
  // An unbindable "/" would refuse the bind mount of the rootfs: it gets that type only at the end.
  const before = flag & MS_UNBINDABLE ? MS_SLAVE | MS_REC : flag;
  // As runc since 1.2 (PR #4724): only shared and unbindable are given to the new root; it is
  // already private (bound from a private mount) or the slave of what the rootfs was.
  return { before, after: flag & (MS_SHARED | MS_UNBINDABLE) ? flag : null };
}

/** The mount (the last one mounted there) holding `path`: the entry with the longest mount point above it. */
export function mountHolding(entries: readonly MountInfoEntry[], path: string): MountInfoEntry | undefined {
  let best: MountInfoEntry | undefined;
  for (const e of entries) {
    const mp = e.mountpoint;
    const above = mp === '/' || path === mp || path.startsWith(mp + '/');
    if (above && (!best || mp.length >= best.mountpoint.length)) best = e;
  }
  return best;
}

export function isShared(e: MountInfoEntry): boolean {
  return e.optional.some((o) => o.startsWith('shared:'));
}

/** The mount points to make private before pivot_root (each shared one of: the rootfs's parent mount, "/"). */
export function mountsToPrivatize(entries: readonly MountInfoEntry[], rootfs: string): string[] {
  const out: string[] = [];
  for (const e of [mountHolding(entries, rootfs), mountHolding(entries, '/')]) {
    if (e && isShared(e) && !out.includes(e.mountpoint)) out.push(e.mountpoint);
  }
  return out;
}

