// Last checks before the user's process is exec'd (CVE-2019-5736,
// CVE-2024-21626). The init and exec'd processes are forks of the runtime, so
// until execve /proc/self/exe is the host's node binary: a container process
// that got node re-executed inside the container (args[0] /proc/self/exe, or
// a link to it) would hold a handle on a host binary every Node program runs.
// And a cwd reached through a runtime fd (/proc/self/fd/N) would be outside
// the rootfs.
import * as fs from 'node:fs';
import * as libc from '../sys/libc';

let runtimeExe: { dev: number; ino: number; path: string } | null = null;

/** Records the runtime binary's identity; call on the host side, before any namespace is joined. */
export function recordRuntimeExe(): void {
  const st = fs.statSync('/proc/self/exe');
  runtimeExe = { dev: st.dev, ino: st.ino, path: fs.readlinkSync('/proc/self/exe') };
}

/** Refuses to exec the runtime's own binary, however it is reached (a symlink, a /proc magic link). */
export function refuseRuntimeExe(exe: string): void {
  if (runtimeExe === null) throw new Error('internal error: the runtime binary was not recorded before entering the container');
  let st: fs.Stats;
  try {
    st = fs.statSync(exe);
  } catch {
    return; // execve reports it
  }
  if (st.dev === runtimeExe.dev && st.ino === runtimeExe.ino) {
    throw new Error(`process.args[0] ${exe} is the runtime's own binary (${runtimeExe.path}) and cannot run in the container`);
  }
}

/** After the final chdir: the cwd must be inside the container's root (not reached through a runtime fd). */
export function verifyCwd(cwd: string): void {
  let real: string;
  try {
    real = libc.getcwd();
  } catch (e) {
    throw new Error(`process.cwd ${cwd} is outside the container (${(e as Error).message})`);
  }
  if (!real.startsWith('/')) throw new Error(`process.cwd ${cwd} is outside the container (${real})`);
}
