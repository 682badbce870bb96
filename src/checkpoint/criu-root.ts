// restore binds the rootfs to <state dir>/criu-root for CRIU (it wants a mount point).
// A restore killed half-way leaves that bind: whoever removes the state directory
// must unmount it first, or a recursive removal would go into the rootfs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libc from '../sys/libc';

const MNT_DETACH = 2;

export function criuRootOf(stateDir: string): string {
  return path.join(stateDir, 'criu-root');
}

function mounted(p: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p.replace(/ /g, '\\040'));
}

/** Unmounts whatever is mounted on <stateDir>/criu-root; false if something stays mounted. */
export function releaseCriuRoot(stateDir: string): boolean {
  const p = criuRootOf(stateDir);
  if (!fs.existsSync(p)) return true;
  for (let i = 0; i < 16 && mounted(p); i++) {
    try { libc.umount2(p, MNT_DETACH); } catch { break; }
  }
  return !mounted(p);
}
