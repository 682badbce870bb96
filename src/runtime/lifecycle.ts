// start, state, kill, delete, list: the commands on an existing container.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libc from '../sys/libc';
import { SysError } from '../sys/errno';
import { parseSignal } from '../linux/signals';
import { cgroupManagerFromPaths } from '../cgroups';
import { hookState, runHooksWarnOnly } from './hooks';
import { criuRootOf, releaseCriuRoot } from '../checkpoint/criu-root';
import {
  RuntimeError, type ContainerRecord, type Status, deriveStatus, fifoPath, initAlive, listIds, loadRecord,
  lockContainer, pendingCgroupsFile, stateDir, stateDocument,
} from './state';
import type { State } from '../spec/types';

const O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, POLLIN = 1;

function isPaused(rec: ContainerRecord): () => boolean {
  return () => {
    try { return cgroupManagerFromPaths(rec.cgroups).isFrozen(); } catch { return false; }
  };
}

export function containerStatus(root: string, rec: ContainerRecord): Status {
  return deriveStatus(root, rec, isPaused(rec));
}

/**
 * What `state` prints: runc's shape (pid 0 once stopped, plus rootfs, created and an empty
 * owner), a superset of the runtime-spec state that hooks get.
 */
export function containerState(root: string, id: string): State & { rootfs: string; created: string; owner: string } {
  const rec = loadRecord(root, id);
  const doc = stateDocument(rec, containerStatus(root, rec));
  return {
    ociVersion: doc.ociVersion, id: doc.id, pid: doc.pid ?? 0, status: doc.status, bundle: doc.bundle,
    rootfs: rec.rootfs, created: rec.created, ...(doc.annotations ? { annotations: doc.annotations } : {}), owner: '',
    // Beyond runc's fields: tells an engine the container was made without the host's root (no cgroup limits unless delegated).
    ...(rec.rootless ? { rootless: true } : {}),
  };
}

function withLock<T>(root: string, id: string, f: () => T): T {
  const lock = lockContainer(root, id);
  try { return f(); } finally { lock.release(); }
}

/** `start`: release the init blocked on the exec FIFO, then run poststart hooks. */
export function startContainer(root: string, id: string): void {
  const rec = withLock(root, id, () => {
    const rec = loadRecord(root, id);
    const status = containerStatus(root, rec);
    if (status !== 'created') throw new RuntimeError(`cannot start a container that is ${status === 'running' || status === 'paused' ? 'already ' : ''}${status}; it must be created`);
    const fifo = fifoPath(stateDir(root, id));
    const fd = libc.open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    try {
      // The init writes one byte once its startContainer hooks succeeded, and keeps the FIFO
      // open (close-on-exec) until it execs the user's process: EOF after the byte means the
      // process runs, so poststart hooks run after it, as the spec orders.
      // A failure after the byte comes as "E<message>" before the FIFO closes.
      let got = '';
      const buf = Buffer.alloc(4096);
      const readSome = (): number => {
        const n = libc.read(fd, buf);
        if (n > 0) got += buf.toString('utf8', 0, n);
        return n;
      };
      for (;;) {
        if (libc.poll([{ fd, events: POLLIN }], 50) > 0 && readSome() === 0 && got !== '') break;
        if (!initAlive(rec)) {
          while (readSome() > 0) { /* the rest of what it wrote */ }
          if (got === '') throw new RuntimeError(`container "${id}" failed to start: its init exited (a startContainer hook failed?)`);
          break;
        }
      }
      const failure = got.replace(/^0/, '');
      if (failure.startsWith('E')) throw new RuntimeError(`container "${id}" failed to start: ${failure.slice(1)}`);
    } finally {
      libc.close(fd);
    }
    fs.rmSync(fifo, { force: true });
    return rec;
  });
  // The spec: a failing poststart hook is logged, and the others still run.
  for (const w of runHooksWarnOnly('poststart', rec.hooks.poststart, hookState(stateDocument(rec, 'running'), 'created', rec.pid))) {
    process.stderr.write(`ocits: warning: ${w}\n`);
  }
}

export interface KillOptions { all?: boolean }

export function killContainer(root: string, id: string, signal: string, o: KillOptions = {}): void {
  const sig = parseSignal(signal);
  const rec = loadRecord(root, id);
  const status = containerStatus(root, rec);
  if (status === 'stopped') {
    if (o.all) return;
    throw new RuntimeError('container not running');
  }
  if (o.all) {
    for (const pid of containerPids(rec)) {
      try { libc.kill(pid, sig); } catch { /* exited meanwhile */ }
    }
  } else {
    signalInit(rec, sig);
  }
  // A frozen process cannot die: after SIGKILL, thaw a paused container so that it does (as runc).
  if (status === 'paused' && sig === 9) cgroupManagerFromPaths(rec.cgroups).thaw();
}

/**
 * Signals the init through a pidfd opened before its identity (start time) is
 * checked again: if the init died and its pid was reused meanwhile, the check
 * fails and the other process is never signalled.
 */
function signalInit(rec: ContainerRecord, sig: number): void {
  let pidfd: number;
  try {
    pidfd = libc.pidfdOpen(rec.pid);
  } catch (e) {
    if (e instanceof SysError && e.code === 'ESRCH') throw new RuntimeError('container not running');
    throw e;
  }
  try {
    if (!initAlive(rec)) throw new RuntimeError('container not running');
    libc.pidfdSendSignal(pidfd, sig);
  } catch (e) {
    if (e instanceof SysError && e.code === 'ESRCH') throw new RuntimeError('container not running');
    throw e;
  } finally {
    libc.close(pidfd);
  }
}

/** Every process of the container: from its cgroup, or its pid namespace when it has its own. */
export function containerPids(rec: ContainerRecord): number[] {
  let pids: number[] = [];
  try { pids = cgroupManagerFromPaths(rec.cgroups).pids(); } catch { /* no cgroup */ }
  if (pids.length === 0 && rec.ownPidNamespace) pids = pidsInNamespaceOf(rec.pid);
  if (!pids.includes(rec.pid) && initAlive(rec)) pids.unshift(rec.pid);
  return pids;
}

function pidsInNamespaceOf(pid: number): number[] {
  let target: string;
  try { target = fs.readlinkSync(`/proc/${pid}/ns/pid`); } catch { return []; }
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try { if (fs.readlinkSync(`/proc/${name}/ns/pid`) === target) out.push(Number(name)); } catch { /* gone */ }
  }
  return out;
}

function waitGone(rec: ContainerRecord, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (initAlive(rec)) {
    if (Date.now() > deadline) return false;
    libc.nanosleep(5);
  }
  return true;
}

export interface DeleteOptions { force?: boolean }

export function deleteContainer(root: string, id: string, o: DeleteOptions = {}): void {
  const dir = stateDir(root, id);
  if (!fs.existsSync(dir) && !o.force) throw new RuntimeError(`container "${id}" does not exist`);
  // Under the lock even without state: a create killed before it made the state
  // directory left its lock file, which release() removes.
  withLock(root, id, () => {
    if (!fs.existsSync(dir)) return;
    let rec: ContainerRecord | undefined;
    try { rec = loadRecord(root, id); } catch { /* half-created: no record */ }
    if (!rec) {
      if (!o.force) throw new RuntimeError(`container "${id}" is not fully created; use delete --force to remove it`);
      killHalfCreated(dir);
      removePendingCgroups(dir);
      removeStateDir(dir);
      return;
    }
    const status = containerStatus(root, rec);
    if ((status === 'running' || status === 'paused') && !o.force) {
      throw new RuntimeError(`cannot delete container "${id}" that is ${status}: stop it first or use --force`);
    }
    if (status !== 'stopped') destroyProcesses(rec, status === 'paused');
    if (rec.pid === 0) {
      // A create killed half-way: its processes are in the container's cgroups, or hold the FIFO.
      for (const pid of containerPids(rec)) { try { libc.kill(pid, 9); } catch { /* gone */ } }
      killHalfCreated(dir);
    }
    const cg = cgroupManagerFromPaths(rec.cgroups);
    cg.destroy();
    removeEmptyParents(rec);
    removeStateDir(dir);
    const warnings = runHooksWarnOnly('poststop', rec.hooks.poststop, stateDocument(rec, 'stopped'));
    for (const w of warnings) process.stderr.write(`ocits: warning: ${w}\n`);
  });
}

/** Removes a state directory, after the rootfs bind a killed restore may have left in it. */
function removeStateDir(dir: string): void {
  if (!releaseCriuRoot(dir)) throw new RuntimeError(`${criuRootOf(dir)} is still mounted; unmount it first`);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The default parent directory (/ocits) is created by whichever container comes first and
 * stays while others use it: the last one out removes it (rmdir fails while it is in use).
 */
function removeEmptyParents(rec: ContainerRecord): void {
  for (const p of rec.cgroups) {
    const parent = path.dirname(p.path);
    if (path.basename(parent) !== 'ocits') continue;
    try { fs.rmdirSync(parent); } catch { /* still in use, or already gone */ }
  }
}

function destroyProcesses(rec: ContainerRecord, paused: boolean): void {
  for (const pid of containerPids(rec)) { try { libc.kill(pid, 9); } catch { /* gone */ } }
  if (paused) { try { cgroupManagerFromPaths(rec.cgroups).thaw(); } catch { /* no freezer */ } }
  try { libc.waitpid(rec.pid, 1); } catch { /* not our child */ }
  if (!waitGone(rec, 10000)) throw new RuntimeError(`container "${rec.id}" init (pid ${rec.pid}) did not exit after SIGKILL`);
}

/** A create killed half-way leaves an init whose pid we may not know: find it by its exec FIFO. */
/** Cgroups a create killed before its first record made (deepest first; rmdir leaves any in use). */
function removePendingCgroups(dir: string): void {
  let text = '';
  try { text = fs.readFileSync(pendingCgroupsFile(dir), 'utf8'); } catch { return; }
  for (const d of text.split('\n').filter(Boolean).reverse()) {
    try { fs.rmdirSync(d); } catch { /* gone, or not empty */ }
  }
}

function killHalfCreated(dir: string): void {
  const fifo = fifoPath(dir);
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      for (const fd of fs.readdirSync(`/proc/${name}/fd`)) {
        if (fs.readlinkSync(`/proc/${name}/fd/${fd}`) === fifo) { libc.kill(Number(name), 9); break; }
      }
    } catch { /* gone or not ours */ }
  }
}

export function listContainers(root: string): { state: State; created: string; owner: number }[] {
  const out: { state: State; created: string; owner: number }[] = [];
  for (const id of listIds(root)) {
    let rec: ContainerRecord;
    try { rec = loadRecord(root, id); } catch { continue; }
    out.push({ state: stateDocument(rec, containerStatus(root, rec)), created: rec.created, owner: rec.owner });
  }
  return out;
}
