// `exec`: run a new process inside a running container. The process comes
// from --process FILE, or from the container's own process with the flags'
// changes; it joins every namespace and the cgroups of the container.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoText, parseProcess, parseSpecText, readConfigFile } from '../spec/load';
import type { Process } from '../spec/types';
import * as libc from '../sys/libc';
import { killPoint } from './kill-point';
import { NAMESPACE_KINDS } from '../linux/namespaces';
import { connectConsoleSocket } from '../linux/console';
import { capNumber } from '../linux/capabilities';
import { cgroupManagerFromPaths, parseSubCgroupFlag, type SubCgroupRequest } from '../cgroups';
import { channelPair, receive, send } from './channel';
import { planProcess } from './init-plan';
import { planSeccomp } from '../linux/seccomp-plan';
import { prepareSeccomp } from '../linux/seccomp';
import { hostLsm, lsmRefusal } from '../linux/lsm';
import { runExecChild, type ExecChildPlan } from './exec-process';
import { containerStatus } from './lifecycle';
import { waitForExit } from './run';
import { openPidFile } from './pid-file';
import { debug, STEP } from './debug';
import { ownTerminalSize, relayTerminal, type TerminalRelay } from './terminal-relay';
import { RuntimeError, loadRecord, stateDir, type ContainerRecord } from './state';

const PR_SET_CHILD_SUBREAPER = 36, O_RDONLY = 0, O_CLOEXEC = 0x80000, AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;

export interface ExecOptions {
  root: string;
  id: string;
  processFile?: string;
  args: string[];
  tty?: boolean;
  consoleSocket?: string;
  detach?: boolean;
  pidFile?: string;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: number[];
  caps: string[];
  noNewPrivs?: boolean;
  preserveFds: number;
  ignorePaused?: boolean;
  /** --cgroup values: [controller[,controller]:]sub-cgroup of the container's cgroup. */
  cgroups?: string[];
  /** Receives warnings (the CLI logs them). */
  warn?: (msg: string) => void;
  /** --apparmor and --process-label. */
  apparmor?: string;
  processLabel?: string;
}

// 4294967295 is (uid_t)-1: setresuid() takes it as "leave unchanged", i.e. stay root.
const MAX_ID = 4294967294;

function parseUser(u: string): { uid: number; gid?: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(u);
  if (!m) throw new RuntimeError(`--user ${JSON.stringify(u)}: expected uid[:gid] as numbers`);
  const ids = [m[1], m[2]].filter((x) => x !== undefined).map(Number);
  if (ids.some((n) => n > MAX_ID)) throw new RuntimeError(`--user ${u}: ids go up to ${MAX_ID}`);
  return { uid: ids[0], gid: ids[1] };
}

/** The process to run: --process FILE, or the container's process changed by the flags. */
export function execProcess(base: Process, o: ExecOptions): Process {
  if (o.processFile) {
    let text: string;
    try {
      text = o.processFile === '-' ? fs.readFileSync(0, 'utf8') : readConfigFile(o.processFile);
    } catch (e) {
      throw new RuntimeError(`--process ${o.processFile}: ${errnoText(e)}`);
    }
    return parseProcess(text, path.basename(o.processFile));
  }
  if (o.args.length === 0) throw new RuntimeError('exec needs a command (or --process FILE)');
  const p: Process = JSON.parse(JSON.stringify(base, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  p.rlimits = base.rlimits;
  p.args = o.args;
  p.terminal = o.tty === true;
  if (o.cwd) p.cwd = o.cwd;
  p.env = [...(base.env ?? []), ...o.env];
  if (o.user !== undefined) {
    const u = parseUser(o.user);
    p.user = { ...p.user, uid: u.uid, gid: u.gid ?? p.user.gid };
  }
  if (o.additionalGids.length) p.user = { ...p.user, additionalGids: o.additionalGids };
  for (const c of o.caps) if (capNumber(c) === undefined) throw new RuntimeError(`--cap ${c}: unknown capability`);
  if (o.caps.length && p.capabilities) {
    const add = (list?: string[]) => [...new Set([...(list ?? []), ...o.caps])];
    p.capabilities = {
      bounding: add(p.capabilities.bounding), effective: add(p.capabilities.effective),
      permitted: add(p.capabilities.permitted), inheritable: p.capabilities.inheritable, ambient: p.capabilities.ambient,
    };
  }
  if (o.noNewPrivs) p.noNewPrivileges = true;
  return p;
}

/** fds of the container's namespaces that differ from ours, in join order. */
function openNamespaces(rec: ContainerRecord): ExecChildPlan['namespaces'] {
  const out: ExecChildPlan['namespaces'] = [];
  for (const kind of NAMESPACE_KINDS) {
    const p = `/proc/${rec.pid}/ns/${kind.procName}`;
    let theirs: string;
    try { theirs = fs.readlinkSync(p); } catch { continue; }
    let ours = '';
    try { ours = fs.readlinkSync(`/proc/self/ns/${kind.procName}`); } catch { /* kernel without it */ }
    if (theirs === ours) continue;
    out.push({ fd: libc.open(p, O_RDONLY | O_CLOEXEC), flag: kind.flag, path: p });
  }
  return out;
}

/** The container's user namespace denies setgroups(2) (an unprivileged runtime mapped its own gid). */
function setgroupsDenied(pid: number): boolean {
  try { return fs.readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'deny'; } catch { return false; }
}

export async function execInContainer(o: ExecOptions): Promise<number> {
  const rec = loadRecord(o.root, o.id);
  const status = containerStatus(o.root, rec);
  if (status === 'stopped') throw new RuntimeError('cannot exec in a stopped container');
  if (status === 'paused' && !o.ignorePaused) throw new RuntimeError('cannot exec in a paused container (use --ignore-paused)');
  const sub = (o.cgroups ?? []).map(parseSubCgroupFlag);
  const spec = parseSpecText(fs.readFileSync(path.join(stateDir(o.root, o.id), 'config.json'), 'utf8'), 'config.json');
  const proc = execProcess(spec.process!, o);
  const at = o.processFile ? `${path.basename(o.processFile)}: /` : 'config.json: /process/';
  const lsm = lsmRefusal([
    { where: '--apparmor', value: o.apparmor, module: 'apparmor' },
    { where: '--process-label', value: o.processLabel, module: 'selinux' },
    { where: `${at}apparmorProfile`, value: proc.apparmorProfile, module: 'apparmor' },
    { where: `${at}selinuxLabel`, value: proc.selinuxLabel, module: 'selinux' },
  ], hostLsm());
  if (lsm) throw new RuntimeError(lsm);
  // Without a console socket, ocits holds the pty master itself and relays it to its own stdio.
  const relayed = proc.terminal && !o.consoleSocket;
  if (relayed && o.detach) throw new RuntimeError('cannot allocate a tty for a detached process without --console-socket');
  const plan: ExecChildPlan = {
    // The container's own capabilities were warned about by create: once is enough.
    process: planProcess({ ...spec, process: proc }, setgroupsDenied(rec.pid), o.processFile || o.caps.length ? o.warn : undefined),
    namespaces: [],
    preserveFds: o.preserveFds,
    consoleSize: (relayed ? ownTerminalSize() : undefined) ?? proc.consoleSize,
    seccomp: planSeccomp(spec.linux?.seccomp),
  };
  if (plan.seccomp) prepareSeccomp(plan.seccomp);
  const cleanupFds = () => plan.namespaces.forEach((n) => libc.close(n.fd));
  let execPid = 0;
  let ours: number | undefined;
  let relay: TerminalRelay | undefined;
  const pidFile = o.pidFile ? openPidFile(o.pidFile) : undefined;
  try {
    plan.namespaces = openNamespaces(rec);
    debug(() => `exec ${o.id}: joins ${plan.namespaces.map((n) => n.path).join(', ') || 'no namespace'}, runs ${JSON.stringify(proc.args)} as ${proc.user.uid}:${proc.user.gid}`);
    if (proc.terminal && o.consoleSocket) plan.consoleSocketFd = connectConsoleSocket(o.consoleSocket);
    if (relayed) [ours, plan.consoleSocketFd] = libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1);
    const [parentEnd, childEnd] = channelPair();
    const stage1 = libc.forkProcess();
    if (stage1 === 0) runExecChild(plan, childEnd, ours === undefined ? [parentEnd] : [parentEnd, ours]);
    libc.close(childEnd);
    killPoint('exec:forked');
    if (plan.consoleSocketFd !== undefined) libc.close(plan.consoleSocketFd);
    try {
      execPid = driveExec(parentEnd, stage1, rec, sub);
    } finally {
      libc.close(parentEnd);
    }
    if (ours !== undefined) relay = relayTerminal(receiveMaster(ours));
    debug(`exec ${o.id}: process pid ${execPid}${relay ? ', relaying its terminal' : ''}`);
    pidFile?.commit(execPid);
  } catch (e) {
    pidFile?.abort();
    // Started, but ocits cannot report it as asked: no process is left behind (as runc).
    if (execPid) { try { libc.kill(execPid, 9); libc.waitpid(execPid, 0); } catch { /* gone */ } }
    throw e;
  } finally {
    cleanupFds();
    if (ours !== undefined) libc.close(ours);
  }
  if (o.detach) return 0;
  const exitStatus = await waitForExit(execPid);
  debug(`exec ${o.id}: process exited, status ${exitStatus}`);
  if (relay) await relay.finish();
  return exitStatus;
}

/** The pty master the process sent over our socketpair (before it exec'd). */
function receiveMaster(sock: number): number {
  try {
    return libc.recvFd(sock).fd;
  } catch (e) {
    throw new RuntimeError(`the process did not send its terminal: ${(e as Error).message}`);
  }
}

function driveExec(fd: number, stage1: number, rec: ContainerRecord, sub: SubCgroupRequest[]): number {
  let pid = 0;
  try {
    for (;;) {
      const m = receive(fd);
      if (!m) {
        if (!pid) throw new RuntimeError('exec process exited unexpectedly');
        return pid;
      }
      if (m.type === 'stage1') {
        cgroupManagerFromPaths(rec.cgroups).join(stage1, sub);
        debug(() => `${STEP.setup}: exec ${rec.id}: stage 1 (pid ${stage1}) joined the cgroups${sub.length ? ` (sub-cgroups ${sub.map((r) => r.path || '.').join(', ')})` : ''}`);
        killPoint('exec:joined');
        send(fd, { type: 'go' });
      } else if (m.type === 'pid') {
        pid = m.pid as number;
        debug(`${STEP.init}: exec ${rec.id}: the process is pid ${pid}`);
        killPoint('exec:pid');
        libc.waitpid(stage1, 0);
      } else if (m.type === 'error') {
        throw new RuntimeError(String(m.message));
      }
    }
  } catch (e) {
    try { libc.kill(stage1, 9); libc.waitpid(stage1, 0); } catch { /* reaped */ }
    if (pid) { try { libc.waitpid(pid, 0); } catch { /* not ours */ } }
    throw e;
  }
}
