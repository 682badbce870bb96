// The container's directory in each mounted hierarchy, and lookups by controller.
import * as path from 'node:path';
import type { Hierarchy, Layout } from './mountinfo';

export interface Target {
  hierarchy: Hierarchy;
  /** The container's cgroup path inside the hierarchy ("/ocits/abc"). */
  cgPath: string;
  /** Its directory ("/sys/fs/cgroup/memory/ocits/abc"). */
  dir: string;
}

/** The directory of a hierarchy-relative cgroup path, allowing for mounts of a subtree (mountinfo root). */
export function dirFor(h: Hierarchy, cgPath: string): string {
  let rel = cgPath;
  if (h.root !== '/' && (cgPath === h.root || cgPath.startsWith(h.root + '/'))) rel = cgPath.slice(h.root.length) || '/';
  return path.join(h.mountpoint, rel);
}

export function hierarchies(layout: Layout): Hierarchy[] {
  return layout.unified ? [...layout.v1, layout.unified] : [...layout.v1];
}

export class Targets {
  constructor(readonly list: Target[]) {}

  /** The target of a plan hierarchy name: a v1 controller, or "unified". */
  byName(name: string): Target | undefined {
    if (name === 'unified') return this.unified();
    return this.list.find((t) => t.hierarchy.version === 1 && t.hierarchy.controllers.includes(name));
  }

  unified(): Target | undefined {
    return this.list.find((t) => t.hierarchy.version === 2);
  }

  /** Where a controller's files are: its v1 hierarchy, else the unified directory. */
  forController(controller: string): { dir: string; version: 1 | 2 } | undefined {
    const t = this.byName(controller) ?? this.unified();
    return t && { dir: t.dir, version: t.hierarchy.version };
  }

  v1Controllers(): Set<string> {
    const s = new Set<string>();
    for (const t of this.list) if (t.hierarchy.version === 1) for (const c of t.hierarchy.controllers) if (!c.startsWith('name=')) s.add(c);
    return s;
  }
}
