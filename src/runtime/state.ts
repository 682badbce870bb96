// The state store: <root>/<id>/state.json (written atomically) plus the exec
// FIFO that exists while the container is "created". The status is always
// derived from the live process, guarded against pid reuse by its start time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Hooks, State } from '../spec/types';
import { OCI_VERSION } from '../spec/types';
import * as libc from '../sys/libc';

export const DEFAULT_ROOT = '/run/ocits';

export class RuntimeError extends Error {}

export interface ContainerRecord {
  id: string;
  pid: number;
  /** Field 22 of /proc/PID/stat when the init was created. */
  startTime: string;
  bundle: string;
  rootfs: string;
  created: string;
  annotations: Record<string, string>;
  hooks: Hooks;
  /** cgroup directories the runtime created (removed on delete) or joined. */
  cgroups: { path: string; owned: boolean }[];
  /** The init's pid namespace is its own (kill --all may rely on it). */
  ownPidNamespace: boolean;
  owner: number;
  /** Created by a runtime that is not the host's root (--rootless). */
  rootless?: boolean;
}

export function validateId(id: string | undefined): string {
  if (!id) throw new RuntimeError('container id cannot be empty');
  if (id === '.' || id === '..' || id.includes('/') || id.includes('\0') || !/^[\w+.-]+$/.test(id)) {
    throw new RuntimeError(`invalid container id "${id}": use letters, digits, '_', '+', '-' and '.'`);
  }
  return id;
}

export function stateDir(root: string, id: string): string {
  return path.join(root, validateId(id));
}

export function fifoPath(dir: string): string { return path.join(dir, 'exec.fifo'); }

export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

export function saveRecord(dir: string, rec: ContainerRecord): void {
  writeFileAtomic(path.join(dir, 'state.json'), JSON.stringify(rec));
}

export function loadRecord(root: string, id: string): ContainerRecord {
  const dir = stateDir(root, id);
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'state.json'), 'utf8');
  } catch {
    throw new RuntimeError(`container "${id}" does not exist`);
  }
  return JSON.parse(text) as ContainerRecord;
}

export function listIds(root: string): string[] {
  try {
    return fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return [];
  }
}

/** Start time (clock ticks since boot) and state letter of a process, or null if it is gone. */
export function processStat(pid: number): { startTime: string; state: string } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
    return { state: rest[0], startTime: rest[19] };
  } catch {
    return null;
  }
}

/** The init is alive (not a zombie) and is the same process we created. */
export function initAlive(rec: ContainerRecord): boolean {
  const st = processStat(rec.pid);
  return st !== null && st.startTime === rec.startTime && st.state !== 'Z' && st.state !== 'X';
}

export type Status = State['status'];

export function deriveStatus(root: string, rec: ContainerRecord, isPaused: () => boolean = () => false): Status {
  if (!initAlive(rec)) return 'stopped';
  if (fs.existsSync(fifoPath(stateDir(root, rec.id)))) return 'created';
  return isPaused() ? 'paused' : 'running';
}

export function stateDocument(rec: ContainerRecord, status: Status): State {
  const doc: State = { ociVersion: OCI_VERSION, id: rec.id, status, bundle: rec.bundle };
  if (status !== 'stopped') doc.pid = rec.pid;
  if (rec.annotations && Object.keys(rec.annotations).length > 0) doc.annotations = rec.annotations;
  return doc;
}

/** Cgroup directories a create made before it saved its first record, one a line. */
export function pendingCgroupsFile(dir: string): string {
  return path.join(dir, 'cgroups.pending');
}

/**
 * An exclusive lock on one container id, held until release(). A command leaves no trace of
 * an id that has no state: release() removes the lock file then, and the root directory if
 * this command made it (and the parents it made) and it is empty. A lock taken on a file that was removed meanwhile
 * (the path no longer names the locked inode) is taken again.
 */
export function lockContainer(root: string, id: string): { fd: number; release(): void } {
  const lockFile = path.join(root, `.${validateId(id)}.lock`);
  for (;;) {
    // The first directory this made (root or one of its parents), or undefined.
    const made = fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    let fd: number;
    try {
      fd = fs.openSync(lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // the root was removed meanwhile
      throw e;
    }
    libc.flock(fd, 2 /* LOCK_EX */, lockFile);
    let current: fs.Stats | undefined;
    try { current = fs.statSync(lockFile); } catch { /* removed by the previous holder */ }
    if (!current || current.ino !== fs.fstatSync(fd).ino) {
      fs.closeSync(fd);
      continue;
    }
    return {
      fd,
      release() {
        if (!fs.existsSync(stateDir(root, id))) {
          fs.rmSync(lockFile, { force: true });
          for (let d = root; made !== undefined && d.length >= made.length; d = path.dirname(d)) {
            try { fs.rmdirSync(d); } catch { break; /* in use */ }
          }
        }
        fs.closeSync(fd);
      },
    };
  }
}
