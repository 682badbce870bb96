// Where state lives, and who counts as rootless. As runc: root uses /run/ocits;
// a non-root caller uses $XDG_RUNTIME_DIR/ocits (/run/user/UID/ocits), else a
// per-user directory under /tmp that must be its own. `--root` always wins.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SYSTEM_ROOT = '/run/ocits';

/** The default state root for a caller with this euid and environment (pure). */
export function defaultRoot(euid: number, env: NodeJS.ProcessEnv, inUserNs: boolean): string {
  const xdg = env.XDG_RUNTIME_DIR;
  // Root inside a user namespace (rootless podman's) honours XDG_RUNTIME_DIR too, unless it is the real root user's.
  const honourXdg = !!xdg && path.isAbsolute(xdg) && (euid !== 0 || (inUserNs && env.USER !== 'root'));
  if (honourXdg) return path.join(xdg, 'ocits');
  if (euid !== 0) return `/tmp/ocits-${euid}`;
  return SYSTEM_ROOT;
}

/** Is this process in a user namespace other than the initial one? */
export function runningInUserNs(uidMap = readUidMap()): boolean {
  const lines = uidMap.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  // The initial namespace maps 0..4294967294 onto itself in one line.
  return !(lines.length === 1 && lines[0][0] === 0 && lines[0][1] === 0 && lines[0][2] === 4294967295);
}

function readUidMap(): string {
  try { return fs.readFileSync('/proc/self/uid_map', 'utf8'); } catch { return '0 0 4294967295'; }
}

export type RootlessMode = 'true' | 'false' | 'auto';

/** runc's --rootless: auto means "not the host's root", i.e. a non-zero euid or root in a user namespace. */
export function isRootless(mode: RootlessMode | string | undefined, euid: number, inUserNs: boolean): boolean {
  if (mode === 'true') return true;
  if (mode === 'false') return false;
  return euid !== 0 || inUserNs;
}

/**
 * Makes (when missing) and checks a non-root caller's default state root: a real directory
 * it owns, closed to others. Made here rather than on first use, so that nobody can slip a
 * directory or symlink of their own in between: one another user made in /tmp under our
 * name, or a symlink, would hand them our state.
 */
export function checkOwnRoot(root: string, euid: number): void {
  if (euid === 0) return;
  try {
    fs.mkdirSync(path.dirname(root), { recursive: true, mode: 0o700 });
    fs.mkdirSync(root, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`state root ${root}: ${(e as Error).message}`);
  }
  const st = fs.lstatSync(root);
  if (!st.isDirectory()) throw new Error(`state root ${root} is not a directory (a symlink?): remove it or pass --root`);
  if (st.uid !== euid) throw new Error(`state root ${root} is owned by uid ${st.uid}, not by you (uid ${euid}): remove it or pass --root`);
  if (st.mode & 0o022) throw new Error(`state root ${root} is writable by others (mode ${(st.mode & 0o7777).toString(8)}): chmod 700 it or pass --root`);
}
