// cgroupfs file access: writes without O_CREAT (a missing control file is an error,
// as on the real cgroupfs), reads, and directory creation/removal with retries.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libc from '../sys/libc';
import { errCode } from './errors';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

/** Write one value (O_WRONLY|O_TRUNC, never creating the file). */
export function writeValue(file: string, value: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
  try {
    fs.writeSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
}

export function readValue(file: string): string {
  return fs.readFileSync(file, 'utf8').trim();
}

export function tryRead(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function exists(file: string): boolean {
  return fs.existsSync(file);
}

/** True when dir is on a cgroup or cgroup2 filesystem (fixture trees are not). */
export function onCgroupfs(dir: string): boolean {
  try {
    const t = Number(fs.statfsSync(dir).type);
    return t === CGROUP_SUPER_MAGIC || t === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * mkdir each missing component of `dir` below `base` (which must exist); returns the
 * directories made, top first. A component that vanishes meanwhile (the last container
 * out of the shared /ocits parent removes it) is made again: ENOENT starts over.
 */
export function mkdirBelow(base: string, dir: string, beforeMkdir?: (dir: string) => void): string[] {
  const rel = path.relative(base, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${dir} is not below ${base}`);
  const made: string[] = [];
  for (let attempt = 0; ; attempt++) {
    let cur = base;
    try {
      for (const part of rel.split('/').filter(Boolean)) {
        cur = path.join(cur, part);
        try {
          if (beforeMkdir && !fs.existsSync(cur)) beforeMkdir(cur);
          fs.mkdirSync(cur, 0o755);
          if (!made.includes(cur)) made.push(cur);
        } catch (e) {
          if (errCode(e) !== 'EEXIST') throw e;
        }
      }
      return made;
    } catch (e) {
      if (errCode(e) !== 'ENOENT' || attempt >= 10 || !fs.existsSync(base)) throw e;
    }
  }
}

/**
 * rmdir a cgroup directory, its child cgroups first. EBUSY (processes still exiting)
 * is retried `tries` times with a growing delay. Outside a cgroupfs (fixture trees)
 * the control files are plain files, so they are removed too.
 */
export function removeCgroupDir(dir: string, tries = 5): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
    throw e;
  }
  for (const ent of entries) if (ent.isDirectory()) removeCgroupDir(path.join(dir, ent.name), tries);
  let delay = 10;
  for (let i = 0; ; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      const code = errCode(e);
      if (code === 'ENOENT') return;
      if (code === 'ENOTEMPTY' && !onCgroupfs(dir)) {
        fs.rmSync(dir, { recursive: true, force: true });
        return;
      }
      if (code !== 'EBUSY' || i >= tries) throw e;
      libc.nanosleep(delay);
      delay *= 2;
    }
  }
}

/** Every pid listed in cgroup.procs of dir and (when recursive) its descendants. */
export function readProcs(dir: string, recursive: boolean): number[] {
  const out: number[] = [];
  const text = tryRead(path.join(dir, 'cgroup.procs'));
  if (text !== undefined) {
    for (const l of text.split('\n')) if (l.trim()) out.push(Number(l.trim()));
  }
  if (recursive) {
    let entries: fs.Dirent[] = [];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { /* gone */ }
    for (const ent of entries) if (ent.isDirectory()) out.push(...readProcs(path.join(dir, ent.name), true));
  }
  return out;
}
