// Runs OCI hooks: the hook gets the state JSON on stdin, its own args and env,
// and is killed when its timeout (seconds) passes. Synchronous on purpose: the
// container's init runs createContainer/startContainer hooks itself, where
// Node's event loop is off limits.
import type { Hook, State } from '../spec/types';
import * as libc from '../sys/libc';

const O_CLOEXEC = 0x80000;

export type HookPhase = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export class HookError extends Error {}

/**
 * The state a hook gets, as runc 1.1 gives it, keys in its order: prestart and createRuntime
 * "creating" with the host pid, createContainer "creating" and startContainer "created" with
 * the init's pid as the container sees it (they run in its namespaces), poststart "created"
 * with the host pid, poststop "stopped".
 */
export function hookState(base: State, status: State['status'], pid?: number): State {
  const { ociVersion, id, bundle, annotations } = base;
  return {
    ociVersion, id, status, ...(pid !== undefined ? { pid } : {}), bundle,
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

function describe(phase: HookPhase, index: number, hook: Hook): string {
  return `${phase} hook #${index} (${hook.path})`;
}

/** Runs one hook to completion; throws HookError on failure, non-zero exit or timeout. */
export function runHook(phase: HookPhase, index: number, hook: Hook, state: State): void {
  const [rd, wr] = libc.pipe2(O_CLOEXEC);
  const argv = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
  const env = hook.env ?? [];
  const pid = libc.forkProcess();
  if (pid === 0) {
    try {
      libc.prctl(1 /* PR_SET_PDEATHSIG */, 9); // a runtime killed half-way takes its hooks along
      libc.dup3(rd, 0, 0);
      // The hook gets the runtime's stdout and stderr (node marks them close-on-exec) and no
      // other fd: nothing the runtime or its caller holds (state dir, sockets, pipes) leaks.
      for (const f of [1, 2]) { try { libc.fcntl(f, 2 /* F_SETFD */, 0); } catch { /* not open */ } }
      libc.closeRange(3, 0xffffffff, 0);
      for (let s = 1; s < 32; s++) if (s !== 9 && s !== 19) libc.signalDefault(s);
      libc.unblockAllSignals();
      libc.execve(hook.path, argv, env);
    } catch (e) {
      try { libc.write(2, Buffer.from(`ocits: ${describe(phase, index, hook)}: ${(e as Error).message}\n`)); } catch { /* nothing left to do */ }
    }
    libc.exit_(127);
  }
  libc.close(rd);
  try { libc.write(wr, Buffer.from(JSON.stringify(state))); } catch { /* the hook may not read stdin */ }
  libc.close(wr);

  const deadline = hook.timeout ? Date.now() + hook.timeout * 1000 : Infinity;
  let delay = 1;
  for (;;) {
    const r = libc.waitpid(pid, 1 /* WNOHANG */);
    if (r.pid === pid) {
      const st = r.status;
      if ((st & 0x7f) === 0) {
        const code = (st >> 8) & 0xff;
        if (code === 0) return;
        throw new HookError(`${describe(phase, index, hook)} exited with status ${code}`);
      }
      throw new HookError(`${describe(phase, index, hook)} killed by signal ${st & 0x7f}`);
    }
    if (Date.now() >= deadline) {
      try { libc.kill(pid, 9); } catch { /* already gone */ }
      libc.waitpid(pid, 0);
      throw new HookError(`${describe(phase, index, hook)} timed out after ${hook.timeout}s`);
    }
    libc.nanosleep(delay);
    delay = Math.min(delay * 2, 20);
  }
}

/** Runs every hook of a phase in order; the first failure stops the rest. */
export function runHooks(phase: HookPhase, hooks: Hook[] | undefined, state: State): void {
  (hooks ?? []).forEach((h, i) => runHook(phase, i, h, state));
}

/** poststop: failures only warn (the spec says so). Returns the warnings. */
export function runHooksWarnOnly(phase: HookPhase, hooks: Hook[] | undefined, state: State): string[] {
  const warnings: string[] = [];
  (hooks ?? []).forEach((h, i) => {
    try { runHook(phase, i, h, state); } catch (e) { warnings.push((e as Error).message); }
  });
  return warnings;
}
