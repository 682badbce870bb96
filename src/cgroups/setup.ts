// What a new cgroup directory needs before it is usable: a v1 cpuset one gets its
// parent's cpuset.cpus/cpuset.mems (else no task may join it); on cgroup v2 each
// ancestor delegates its controllers through cgroup.subtree_control.
import * as path from 'node:path';
import { CgroupError, errCode, errText } from './errors';
import { tryRead, writeValue } from './fsio';

/** Copies cpuset.cpus and cpuset.mems from the parent when the new directory's are empty. */
export function initCpuset(dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const own = tryRead(path.join(dir, file));
    if (own === undefined || own.trim() !== '') continue;
    const parent = (tryRead(path.join(path.dirname(dir), file)) ?? '').trim();
    if (parent === '') continue;
    try {
      writeValue(path.join(dir, file), parent);
    } catch (e) {
      throw new CgroupError(`cannot copy ${file} "${parent}" from the parent into ${dir}: ${errText(e)}`, undefined, errCode(e));
    }
  }
}

/**
 * Enables, in `dir`'s cgroup.subtree_control, every controller its cgroup.controllers
 * lists (or those of `only`). All at once first; if the kernel refuses (e.g. EBUSY: the cgroup has
 * processes of its own), one by one, leaving out the ones it refuses. Returns what
 * could not be enabled.
 */
export function enableSubtreeControllers(dir: string, only?: readonly string[]): string[] {
  // With `only`, the kernel is left to refuse what the directory does not have.
  const available = only ? [...only] : (tryRead(path.join(dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
  if (available.length === 0) return [];
  const enabled = new Set((tryRead(path.join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/).filter(Boolean));
  const wanted = available.filter((c) => !enabled.has(c));
  if (wanted.length === 0) return [];
  const file = path.join(dir, 'cgroup.subtree_control');
  try {
    writeValue(file, wanted.map((c) => '+' + c).join(' '));
    return [];
  } catch {
    const failed: string[] = [];
    for (const c of wanted) {
      try { writeValue(file, '+' + c); } catch { failed.push(c); }
    }
    return failed;
  }
}

/** The directories from `top` down to the parent of `leaf` (the ones that delegate to it). */
export function ancestorsBelow(top: string, leaf: string): string[] {
  const out: string[] = [];
  const parts = path.relative(top, leaf).split('/').filter(Boolean);
  let cur = top;
  for (let i = 0; i < parts.length; i++) {
    out.push(cur);
    cur = path.join(cur, parts[i]);
  }
  return out;
}
