// `run`: create + start + wait, as one command. The runtime stays the init's
// parent (it is a child subreaper), forwards signals to it, and exits with its
// status (128+N when killed by signal N).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libc from '../sys/libc';
import { ownTerminalSize, relayTerminal, type TerminalRelay } from './terminal-relay';
import { createContainer, type CreateOptions } from './create';
import { debug, debugCreated } from './debug';
import { deleteContainer, startContainer } from './lifecycle';

export interface RunOptions extends CreateOptions { detach?: boolean; keep?: boolean }

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGCONT: 18, SIGWINCH: 28 };

export function exitStatus(waitStatus: number): number {
  const sig = waitStatus & 0x7f;
  return sig === 0 ? (waitStatus >> 8) & 0xff : 128 + sig;
}

/** Does the bundle's config ask for a terminal? (create validates it fully.) */
function wantsTerminal(bundle: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'))?.process?.terminal === true;
  } catch {
    return false;
  }
}

export async function runContainer(o: RunOptions): Promise<number> {
  let relay: TerminalRelay | undefined;
  let consoleSocketFd: number | undefined;
  let ours: number | undefined;
  if (!o.consoleSocket && wantsTerminal(o.bundle)) {
    if (o.detach) throw new Error('a terminal container cannot run detached without --console-socket');
    [ours, consoleSocketFd] = libc.socketpair(1 /* AF_UNIX */, 1 /* SOCK_STREAM */ | 0x80000);
  }
  let record;
  try {
    const created = createContainer({ ...o, consoleSocketFd, consoleSize: ours !== undefined ? ownTerminalSize() : undefined });
    record = created.record;
    debugCreated(created);
    if (ours !== undefined) relay = relayTerminal(libc.recvFd(ours).fd);
  } finally {
    if (ours !== undefined) libc.close(ours);
    if (consoleSocketFd !== undefined) libc.close(consoleSocketFd);
  }
  try {
    startContainer(o.root, o.id);
  } catch (e) {
    try { deleteContainer(o.root, o.id, { force: true }); } catch { /* report the start error */ }
    throw e;
  }
  debug(`container ${o.id}: started${relay ? ', relaying its terminal' : ''}`);
  if (o.detach) return 0;
  const status = await waitForExit(record.pid);
  debug(`container ${o.id}: init exited, status ${status}`);
  if (relay) await relay.finish();
  if (!o.keep) deleteContainer(o.root, o.id, { force: true });
  return status;
}

/** Reaps children until the init exits; other orphans reparented to us are reaped too. */
export function waitForExit(pid: number): Promise<number> {
  return new Promise((resolve) => {
    const handlers = FORWARDED.map((name) => {
      const h = () => { try { libc.kill(pid, SIGNAL_NUMBERS[name]); } catch { /* exited */ } };
      process.on(name, h);
      return [name, h] as const;
    });
    const reap = () => {
      for (;;) {
        let r: libc.WaitResult;
        try { r = libc.waitpid(-1, 1 /* WNOHANG */); } catch { return; }
        if (r.pid <= 0) return;
        if (r.pid === pid) {
          clearInterval(timer);
          process.off('SIGCHLD', reap);
          for (const [name, h] of handlers) process.off(name, h);
          resolve(exitStatus(r.status));
          return;
        }
      }
    };
    process.on('SIGCHLD', reap);
    const timer = setInterval(reap, 100);
    reap();
  });
}
