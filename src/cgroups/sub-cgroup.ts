// `exec --cgroup [CONTROLLER[,CONTROLLER...]:]PATH`: run the new process in an
// existing sub-cgroup of the container's cgroup, in every hierarchy (no
// controllers named) or in the hierarchies of the named v1 controllers. On the
// unified hierarchy a controller prefix is refused, as there is only one tree.
import * as path from 'node:path';
import { CgroupError } from './errors';
import type { Target } from './targets';

export interface SubCgroupRequest {
  /** Controllers named before the colon; null: every hierarchy. */
  controllers: string[] | null;
  /** Cleaned path relative to the container's cgroup. */
  path: string;
}

export function parseSubCgroupFlag(value: string): SubCgroupRequest {
  const colon = value.indexOf(':');
  const controllers = colon >= 0 ? value.slice(0, colon).split(',').map((c) => c.trim()) : null;
  const raw = colon >= 0 ? value.slice(colon + 1) : value;
  if (controllers && controllers.some((c) => c === '')) throw new CgroupError(`--cgroup ${value}: empty controller name`);
  // As runc: relative to the container's cgroup even with a leading "/", which (like "") names
  // the container's cgroup itself; a path that leaves it is refused in runc's words.
  const cleaned = path.posix.normalize(raw.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (cleaned === '..' || cleaned.startsWith('../')) throw new CgroupError(`--cgroup ${value}: ${raw} is not a sub cgroup path`);
  return { controllers, path: cleaned === '.' ? '' : cleaned };
}

/**
 * The directory to join in each of the container's hierarchies: its own, or the sub-cgroup
 * a request names for it (the last request naming a hierarchy wins).
 */
export function subCgroupTargets(targets: readonly Target[], requests: readonly SubCgroupRequest[]): Target[] {
  const out = targets.map((t) => ({ ...t }));
  for (const r of requests) {
    const chosen = r.controllers === null
      ? out
      : r.controllers.map((c) => {
        const t = out.find((x) => x.hierarchy.version === 1 && x.hierarchy.controllers.includes(c));
        if (t) return t;
        if (out.some((x) => x.hierarchy.version === 2) && !out.some((x) => x.hierarchy.version === 1)) {
          throw new CgroupError(`--cgroup ${c}:${r.path}: cgroup v2 has one hierarchy; give the path without a controller`);
        }
        throw new CgroupError(`--cgroup ${c}:${r.path}: the container has no cgroup for controller "${c}"`);
      });
    const base = new Map(targets.map((t, i) => [out[i], t]));
    for (const t of chosen) {
      const orig = base.get(t) as Target;
      t.dir = path.join(orig.dir, r.path);
      t.cgPath = path.posix.join(orig.cgPath, r.path);
    }
  }
  return out;
}
