// The container's init, from the runtime's fork() to execve(). Everything here
// is synchronous (see shared notes/process-model.md): no promises, timers or
// async I/O, errors go to the runtime over the channel, and it ends in execve
// or _exit.
//
// stage 1 (first fork): user namespace, joined namespaces, new namespaces;
//   forks stage 2 so that it is pid 1 of a new pid namespace, reports its pid,
//   exits.
// stage 2 (the init): rootfs, hooks, then waits on the exec FIFO for `start`,
//   then identity, and execs the user's process.
import * as fs from 'node:fs';
import * as libc from '../sys/libc';
import { send, receive, type Message } from './channel';
import type { InitPlan, ProcessPlan } from './init-plan';
import type { SeccompPlan } from '../linux/seccomp-plan';
import { isMapped, lookPath } from './init-plan';
import { CLONE_NEWTIME } from '../linux/namespaces';
import { applyIdentity, applyOomScoreAdj, applyRlimits } from '../linux/identity';
import { envWithHome, readPasswd } from '../linux/home';
import { setupRootfs, enterRootfs, finishRootfs } from '../linux/rootfs';
import { receiveMountSources } from '../linux/mount-sources';
import { reopenDevNullStdio } from '../linux/devnull-stdio';
import { hookState, runHooks } from './hooks';
import { attachTerminal } from '../linux/console';
import { loadSeccomp } from '../linux/seccomp';
import { recordRuntimeExe, refuseRuntimeExe, verifyCwd } from '../linux/exe-guard';
import { bringUpLoopback } from '../linux/loopback';

const PR_SET_DUMPABLE = 4;
const O_RDONLY = 0, O_WRONLY = 1, O_CLOEXEC = 0x80000, O_PATH = 0x200000, O_DIRECTORY = 0x10000;
const F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;
const CLOSE_RANGE_CLOEXEC = 4;

function expect(fd: number, type: string): Message {
  const m = receive(fd);
  if (!m) libc.exit_(1); // the runtime is gone: give up quietly
  if (m.type !== type) throw new Error(`init: expected "${type}" from the runtime, got "${m.type}"`);
  return m;
}

function fail(fd: number, e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  try { send(fd, { type: 'error', message: msg }); } catch { /* runtime gone */ }
  libc.exit_(1);
}

/** Entry point in the forked child; never returns. */
export function runInit(plan: InitPlan, fd: number, runtimeFds: number[]): never {
  try {
    for (const f of runtimeFds) libc.close(f);
    // Before the process turns non-dumpable: then its /proc files belong to root, and an
    // unprivileged runtime's init could no longer write its own oom_score_adj (inherited from here on).
    applyOomScoreAdj(plan.process.identity);
    libc.prctl(PR_SET_DUMPABLE, 0);
    recordRuntimeExe();
    stage1(plan, fd);
  } catch (e) {
    fail(fd, e);
  }
}

function stage1(plan: InitPlan, fd: number): never {
  const ns = plan.namespaces;
  // A non-dumpable process's /proc files belong to root: an unprivileged runtime could not
  // write its maps. Dumpable (to its own user) only while they are written, as runc does.
  const reopen = ns.newUser && process.geteuid?.() !== 0;
  if (ns.newUser) libc.unshare(0x10000000);
  if (reopen) libc.prctl(PR_SET_DUMPABLE, 1);
  send(fd, { type: 'stage1' });
  expect(fd, 'go');
  if (reopen) libc.prctl(PR_SET_DUMPABLE, 0);
  // The gid only after the other namespaces are made, as runc: the new IPC namespace's
  // /dev/mqueue then belongs to the caller's (usually unmapped) group, as with runc.
  if (ns.newUser && isMapped(plan.uidMappings, 0)) libc.setresuid(0, 0, 0);
  // Open every namespace to join before joining any (their paths are host paths).
  const toJoin = ns.join.map((j) => {
    try {
      return { ...j, nsfd: libc.open(j.path, O_RDONLY | O_CLOEXEC) };
    } catch (e) {
      throw new Error(`linux.namespaces: ${j.kind.type} namespace ${j.path}: ${(e as Error).message.replace(/^open \S+: /, '')}`);
    }
  });
  for (const j of toJoin) {
    try {
      libc.setns(j.nsfd, j.kind.flag, j.path);
    } catch (e) {
      // EINVAL: the kernel found the fd is not a namespace of this type (or no namespace at all).
      const why = (e as { code?: string }).code === 'EINVAL' ? `not a ${j.kind.type} namespace` : (e as Error).message.replace(/^setns \S+: /, '');
      throw new Error(`linux.namespaces: ${j.kind.type} namespace ${j.path}: ${why}`);
    }
    libc.close(j.nsfd);
  }
  if (ns.newFlags) libc.unshare(ns.newFlags);
  if (ns.newUser && isMapped(plan.gidMappings, 0)) libc.setresgid(0, 0, 0);
  if (ns.has('network') === 'new') bringUpLoopback();
  if (plan.mountSources?.length) {
    send(fd, { type: 'mount-sources' });
    plan.mountSourceFds = receiveMountSources(fd);
  }
  if (plan.timeOffsets && ns.newFlags & CLONE_NEWTIME) fs.writeFileSync('/proc/self/timens_offsets', plan.timeOffsets);
  const pid = libc.forkProcess();
  if (pid === 0) {
    try {
      stage2(plan, fd);
    } catch (e) {
      fail(fd, e);
    }
  }
  send(fd, { type: 'init-pid', pid });
  libc.exit_(0);
}

export function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function stage2(plan: InitPlan, fd: number): never {
  const proc = plan.process;
  const fifo = plan.fifoFd;
  // The FIFO is reopened for writing through this process's fd directory, opened now:
  // the container may have no /proc of its own.
  const fdDir = libc.open('/proc/self/fd', O_PATH | O_DIRECTORY | O_CLOEXEC);
  const mountNs = plan.namespaces.has('mount');
  if (mountNs === 'new') setupRootfs(plan);
  send(fd, { type: 'hooks', phase: 'createRuntime' });
  // The runtime answers with the init's pid as the host sees it, for the hooks' state.
  expect(fd, 'ok');
  runHooks('createContainer', plan.hooks.createContainer, hookState(plan.state, 'creating', libc.getpid()));
  if (mountNs === 'new') enterRootfs(plan);
  else {
    // No mount namespace of its own (none, or joined by path): mounts are not made, since they
    // would land in a namespace the container does not own, but root.path still is its root.
    libc.chdir(plan.rootfs);
    libc.chroot('.');
    libc.chdir('/');
  }
  if (plan.hostname !== undefined) libc.sethostname(plan.hostname);
  if (plan.domainname !== undefined) libc.setdomainname(plan.domainname);
  if (mountNs === 'new') { finishRootfs(plan); reopenDevNullStdio(); }
  if (proc.terminal && plan.consoleSocketFd !== undefined) attachTerminal(plan.consoleSocketFd, plan.consoleSize ?? plan.spec.process?.consoleSize);
  // As runc's init, a session of its own (CRIU refuses a session leader outside the container).
  else libc.setsid();

  const exe = lookPath(proc.args[0], proc.env, isExecutable, fs.existsSync);
  if (!fs.existsSync(proc.cwd)) throw new Error(`process.cwd ${proc.cwd}: no such file or directory in the container`);
  applyRlimits(proc.identity);
  // A filter with SCMP_ACT_NOTIFY is loaded now, so that its listener fd can go to the
  // runtime (which hands it to linux.seccomp.listenerPath) while create still runs.
  let seccompLoaded = false;
  if (plan.seccomp?.notify) {
    const notifyFd = loadSeccomp(plan.seccomp);
    seccompLoaded = true;
    if (notifyFd !== null) {
      send(fd, { type: 'seccomp-notify' });
      libc.sendFd(fd, 'seccompFd', notifyFd);
      libc.close(notifyFd);
    }
  }
  send(fd, { type: 'ready' });
  libc.close(fd);

  // Blocks until `start` opens the FIFO for reading. The byte is written only after the
  // startContainer hooks succeeded, so that a failing hook makes `start` fail; a failure
  // after it (identity, seccomp, exec) is written there too ("E" and the message), so
  // that `start` reports it instead of success.
  const w = libc.openat(fdDir, String(fifo), O_WRONLY | O_CLOEXEC);
  libc.close(fifo);
  libc.close(fdDir);
  try {
    runHooks('startContainer', plan.hooks.startContainer, hookState(plan.state, 'created', libc.getpid()));
    libc.write(w, Buffer.from('0')); // w stays open: exec closes it, which tells `start` the process runs
    execUserProcess(exe, proc, plan.preserveFds, seccompLoaded ? null : plan.seccomp);
  } catch (e) {
    const msg = (e as Error).message.replace(/\s*\n\s*/g, ' ');
    try { libc.write(w, Buffer.from(`E${msg}`)); } catch { /* start gone */ }
    try { libc.write(2, Buffer.from(`ocits: container ${plan.id}: ${msg}\n`)); } catch { /* no stderr */ }
    libc.exit_(127);
  }
}

/**
 * The last steps of an init or exec'd process: fds and signals first (a seccomp profile may
 * refuse close_range or fcntl), then the filter, the identity and cwd, then execve.
 */
export function execUserProcess(exe: string, proc: ProcessPlan, preserveFds: number, seccomp: SeccompPlan | null): never {
  prepareExec(preserveFds);
  const env = envWithHome(proc.env, proc.identity.uid, readPasswd());
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the identity drops it.
  const nnp = proc.identity.noNewPrivileges;
  if (seccomp && !nnp) loadSeccomp(seccomp);
  // Into the cwd while still privileged, so that one only root can enter works for any user;
  // if that failed (root squashed on NFS), again as the user, as runc does.
  const inCwd = tryChdir(proc.cwd);
  applyIdentity(proc.identity);
  if (!inCwd) libc.chdir(proc.cwd);
  verifyCwd(proc.cwd);
  refuseRuntimeExe(exe);
  if (seccomp && nnp) loadSeccomp(seccomp);
  return libc.execve(exe, proc.args, env);
}

function tryChdir(dir: string): boolean {
  try {
    libc.chdir(dir);
    return true;
  } catch {
    return false;
  }
}

/** Only fds 0-2 and the preserved ones reach the container; signals back to default. */
export function prepareExec(preserveFds: number): void {
  libc.closeRange(3 + preserveFds, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  // Node marks stdio close-on-exec and may leave it non-blocking: undo both.
  for (let f = 0; f < 3 + preserveFds; f++) {
    try {
      libc.fcntl(f, F_SETFD, 0);
      if (f > 2) continue;
      const fl = libc.fcntl(f, F_GETFL);
      if (fl & O_NONBLOCK) libc.fcntl(f, F_SETFL, fl & ~O_NONBLOCK);
    } catch { /* fd not open */ }
  }
  for (let s = 1; s <= 64; s++) if (s !== 9 && s !== 19 && s !== 32 && s !== 33) libc.signalDefault(s);
  libc.unblockAllSignals();
}
