// tmpcopyup (a runc extension podman uses with --read-only): a tmpfs mounted over
// a directory of the image starts with a copy of that directory. The directory is
// opened before the tmpfs covers it; /proc/self/fd/N still names it afterwards.
// Nothing is followed: links are copied as links, special files recreated.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libc from '../sys/libc';

const O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, O_NOFOLLOW = 0x20000;

/** An fd of the directory about to be covered, or null when there is none. */
export function openCovered(dest: string): number | null {
  try {
    return libc.open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  } catch {
    return null;
  }
}

/** Copies what the covered directory `fd` holds into `to` (the new tmpfs); closes fd. */
export function copyUp(fd: number, to: string): void {
  try {
    copyTree(`/proc/self/fd/${fd}`, to);
  } catch (e) {
    throw new Error(`tmpcopyup: ${(e as Error).message}`);
  } finally {
    libc.close(fd);
  }
}

function copyTree(from: string, to: string): void {
  for (const name of fs.readdirSync(from)) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    const st = fs.lstatSync(src);
    if (st.isDirectory()) {
      fs.mkdirSync(dst, st.mode & 0o7777);
      copyTree(src, dst);
    } else if (st.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(src), dst);
    } else if (st.isFile()) {
      fs.copyFileSync(src, dst);
    } else if (!st.isSocket()) {
      libc.mknod(dst, st.mode, BigInt(st.rdev));
    } else {
      continue;
    }
    keepOwner(dst, st);
  }
}

/** Owner and mode as in the image; times are new (as runc). */
function keepOwner(p: string, st: fs.Stats): void {
  try { fs.lchownSync(p, st.uid, st.gid); } catch { /* an owner the user namespace does not map */ }
  if (!st.isSymbolicLink()) fs.chmodSync(p, st.mode & 0o7777);
}
