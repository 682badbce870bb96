// Before a restore, the rootfs gets the mount points the container's mounts need (as
// create makes them), except those on a tmpfs that CRIU restores with its contents.
import * as fs from 'node:fs';
import type { Spec } from '../spec/types';
import { cleanPath, isSubpath, securePathInRoot, type LstatResult } from '../linux/paths';
import { isBind } from './plan';

function lstat(p: string): LstatResult | null {
  try {
    const st = fs.lstatSync(p);
    return st.isSymbolicLink() ? { isSymlink: true, target: fs.readlinkSync(p) } : { isSymlink: false };
  } catch {
    return null;
  }
}

/** Container paths to create: [path, 'dir' | 'file'] for each mount not under a tmpfs mount. */
export function restoreMountpoints(spec: Spec, sourceIsDir: (source: string) => boolean): [string, 'dir' | 'file'][] {
  const mounts = spec.mounts ?? [];
  const tmpfs = mounts.filter((m) => m.type === 'tmpfs').map((m) => cleanPath('/' + m.destination));
  const out: [string, 'dir' | 'file'][] = [];
  for (const m of mounts) {
    const dest = cleanPath('/' + m.destination);
    if (tmpfs.some((t) => t !== dest && isSubpath(t, dest))) continue;
    if (m.type === 'cgroup' || m.type === 'cgroup2') continue;
    out.push([dest, isBind(m) && !sourceIsDir(m.source ?? '') ? 'file' : 'dir']);
  }
  return out;
}

/** Makes the missing mount points in rootfs (symlinks resolved inside it). */
export function prepareRestoreMountpoints(spec: Spec, rootfs: string, bundle: string): void {
  const isDir = (source: string) => {
    const p = source.startsWith('/') ? source : `${bundle}/${source}`;
    try { return fs.statSync(p).isDirectory(); } catch { return true; }
  };
  for (const [dest, kind] of restoreMountpoints(spec, isDir)) {
    const host = securePathInRoot(rootfs, dest, lstat);
    if (fs.existsSync(host)) continue;
    if (kind === 'dir') {
      fs.mkdirSync(host, { recursive: true, mode: 0o755 });
    } else {
      fs.mkdirSync(securePathInRoot(rootfs, cleanPath(dest + '/..'), lstat), { recursive: true, mode: 0o755 });
      fs.closeSync(fs.openSync(host, 'a', 0o644));
    }
  }
}
