// The child side of `exec`: join the container's namespaces (user first),
// fork once more so the process is inside its pid namespace, then set up the
// process as for the init and execve. Synchronous throughout, like the init.
import * as fs from 'node:fs';
import * as libc from '../sys/libc';
import { send, receive } from './channel';
import type { ProcessPlan } from './init-plan';
import { lookPath } from './init-plan';
import { applyRlimits } from '../linux/identity';
import { attachTerminal } from '../linux/console';
import { execUserProcess, isExecutable } from './init-process';
import type { SeccompPlan } from '../linux/seccomp-plan';
import { recordRuntimeExe } from '../linux/exe-guard';

const PR_SET_DUMPABLE = 4;

export interface ExecChildPlan {
  process: ProcessPlan;
  /** Namespace fds of the container to join, in join order, with their clone flag. */
  namespaces: { fd: number; flag: number; path: string }[];
  consoleSocketFd?: number;
  consoleSize?: { height: number; width: number };
  preserveFds: number;
  seccomp: SeccompPlan | null;
}

function fail(fd: number, e: unknown): never {
  try { send(fd, { type: 'error', message: e instanceof Error ? e.message : String(e) }); } catch { /* gone */ }
  libc.exit_(1);
}

export function runExecChild(plan: ExecChildPlan, fd: number, runtimeFds: number[]): never {
  try {
    for (const f of runtimeFds) libc.close(f);
    // Before joining anything: no /proc/PID/exe or /proc/PID/fd way back to the host's node binary.
    libc.prctl(PR_SET_DUMPABLE, 0);
    recordRuntimeExe();
    send(fd, { type: 'stage1' });
    const go = receive(fd);
    if (!go || go.type !== 'go') libc.exit_(1);
    for (const ns of plan.namespaces) {
      libc.setns(ns.fd, ns.flag, ns.path);
      libc.close(ns.fd);
    }
    const pid = libc.forkProcess();
    if (pid === 0) {
      try {
        stage2(plan);
      } catch (e) {
        fail(fd, e);
      }
    }
    send(fd, { type: 'pid', pid });
    libc.exit_(0);
  } catch (e) {
    fail(fd, e);
  }
}

function stage2(plan: ExecChildPlan): never {
  const proc = plan.process;
  if (proc.terminal && plan.consoleSocketFd !== undefined) attachTerminal(plan.consoleSocketFd, plan.consoleSize);
  const exe = lookPath(proc.args[0], proc.env, isExecutable, fs.existsSync);
  if (!fs.existsSync(proc.cwd)) throw new Error(`cwd ${proc.cwd}: no such file or directory in the container`);
  applyRlimits(proc.identity);
  execUserProcess(exe, proc, plan.preserveFds, plan.seccomp);
}
