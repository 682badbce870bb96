// Freezing and thawing: v1 freezer.state (FROZEN/THAWED, via FREEZING) or the v2
// cgroup.freeze knob (done when cgroup.events says "frozen 1").
import * as path from 'node:path';
import * as libc from '../sys/libc';
import { CgroupError, errText } from './errors';
import { readValue, tryRead, writeValue } from './fsio';

const TIMEOUT_MS = 5000;

export interface FreezerTarget { dir: string; version: 1 | 2 }

function write(t: FreezerTarget, file: string, value: string): void {
  try {
    writeValue(path.join(t.dir, file), value);
  } catch (e) {
    throw new CgroupError(`cannot write "${value}" to ${path.join(t.dir, file)}: ${errText(e)}`);
  }
}

/** v2: the "frozen" key of cgroup.events, falling back to cgroup.freeze when events lack it. */
function v2Frozen(dir: string): boolean {
  const events = tryRead(path.join(dir, 'cgroup.events'));
  const m = events && /^frozen\s+(\d+)/m.exec(events);
  if (m) return m[1] === '1';
  return (tryRead(path.join(dir, 'cgroup.freeze')) ?? '').trim() === '1';
}

export function isFrozen(t: FreezerTarget): boolean {
  if (t.version === 2) return v2Frozen(t.dir);
  return (tryRead(path.join(t.dir, 'freezer.state')) ?? '').trim() === 'FROZEN';
}

function waitFor(done: () => boolean, retry: () => void): boolean {
  const end = Date.now() + TIMEOUT_MS;
  for (let delay = 1, i = 0; ; i++) {
    if (done()) return true;
    if (Date.now() > end) return false;
    libc.nanosleep(delay);
    delay = Math.min(delay * 2, 50);
    if (i % 8 === 7) retry();
  }
}

export function freeze(t: FreezerTarget): void {
  if (t.version === 2) {
    write(t, 'cgroup.freeze', '1');
    if (!waitFor(() => v2Frozen(t.dir), () => write(t, 'cgroup.freeze', '1'))) {
      write(t, 'cgroup.freeze', '0');
      throw new CgroupError(`timed out freezing ${t.dir}`);
    }
    return;
  }
  write(t, 'freezer.state', 'FROZEN');
  // The state goes FREEZING → FROZEN; re-asking makes the kernel retry tasks it could not freeze yet.
  const ok = waitFor(() => readValue(path.join(t.dir, 'freezer.state')) === 'FROZEN', () => write(t, 'freezer.state', 'FROZEN'));
  if (!ok) {
    write(t, 'freezer.state', 'THAWED');
    throw new CgroupError(`timed out freezing ${t.dir}`);
  }
}

export function thaw(t: FreezerTarget): void {
  if (t.version === 2) {
    write(t, 'cgroup.freeze', '0');
    if (!waitFor(() => !v2Frozen(t.dir), () => write(t, 'cgroup.freeze', '0'))) throw new CgroupError(`timed out thawing ${t.dir}`);
    return;
  }
  write(t, 'freezer.state', 'THAWED');
  if (!waitFor(() => readValue(path.join(t.dir, 'freezer.state')) === 'THAWED', () => write(t, 'freezer.state', 'THAWED'))) {
    throw new CgroupError(`timed out thawing ${t.dir}`);
  }
}
