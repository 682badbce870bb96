// /proc/<pid>/cgroup: the cgroup of a process in each hierarchy. Pure.
import type { Hierarchy } from './mountinfo';

export interface ProcCgroupEntry { id: number; controllers: string[]; path: string }

export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const out: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const ctl = line.slice(a + 1, b);
    out.push({ id: Number(line.slice(0, a)), controllers: ctl ? ctl.split(',') : [], path: line.slice(b + 1) || '/' });
  }
  return out;
}

/** The process's cgroup path in a hierarchy ("/" when /proc/<pid>/cgroup does not list it). */
export function ownPathIn(entries: ProcCgroupEntry[], h: Hierarchy): string {
  if (h.version === 2) return entries.find((e) => e.id === 0 && e.controllers.length === 0)?.path ?? '/';
  const hit = entries.find((e) => e.controllers.length > 0 && h.controllers.every((c) => e.controllers.includes(c)));
  return hit?.path ?? '/';
}
