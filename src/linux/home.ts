// HOME for the container's process, as runc sets it: when process.env has no
// (non-empty) HOME, the home directory of the process's uid in the container's
// /etc/passwd, else "/". Read inside the container, after pivot_root.
import * as fs from 'node:fs';

/** The home field of the first /etc/passwd entry for uid (null: no such entry). */
export function homeOf(passwd: string, uid: number): string | null {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0].startsWith('#')) continue;
    if (Number(f[2]) === uid && /^\d+$/.test(f[2])) return f[5];
  }
  return null;
}

/** env with HOME added when it lacks one; `passwd` is the container's /etc/passwd (null: unreadable). */
export function envWithHome(env: string[], uid: number, passwd: string | null): string[] {
  if (env.some((e) => e.startsWith('HOME=') && e.length > 5)) return env;
  const home = (passwd !== null ? homeOf(passwd, uid) : null) || '/';
  return [...env.filter((e) => !e.startsWith('HOME=')), `HOME=${home}`];
}

/** The container's /etc/passwd, read from inside its root (null when missing or unreadable). */
export function readPasswd(): string | null {
  try { return fs.readFileSync('/etc/passwd', 'utf8'); } catch { return null; }
}
