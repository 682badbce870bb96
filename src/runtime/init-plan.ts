// Plan step for the container's init: turns a validated config into the data
// the init needs (pure: no syscalls), so it can be unit-tested without root.
import * as path from 'node:path';
import type { Hooks, IdMapping, Spec, State } from '../spec/types';
import { planNamespaces, type NamespacePlan } from '../linux/namespaces';
import type { IdentityPlan } from '../linux/identity';
import { capsToMask, maskToCaps, splitAmbient } from '../linux/capabilities';
import { parseRlimits } from '../linux/rlimits';
import { planSeccomp, type SeccompPlan } from '../linux/seccomp-plan';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessPlan {
  args: string[];
  env: string[];
  cwd: string;
  terminal: boolean;
  identity: IdentityPlan;
}

export interface InitPlan {
  id: string;
  bundle: string;
  rootfs: string;
  spec: Spec;
  namespaces: NamespacePlan;
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  /** Contents for /proc/self/timens_offsets, when a new time namespace has offsets. */
  timeOffsets?: string;
  hostname?: string;
  domainname?: string;
  process: ProcessPlan;
  preserveFds: number;
  noPivot: boolean;
  hooks: Hooks;
  fifoPath: string;
  state: State;
  /** Connected console socket (terminal: true), inherited by the init. */
  consoleSocketFd?: number;
  /** The pty's size when it is not process.consoleSize (run's relay: the user's terminal). */
  consoleSize?: { height: number; width: number };
  /** O_PATH fd of the exec FIFO, opened by the runtime: a user-namespaced init could not reach the state dir. */
  fifoFd: number;
  seccomp: SeccompPlan | null;
  /** The runtime is not the host's root (unprivileged, or root of a user namespace such as rootless podman's). */
  rootless: boolean;
  /** Detached ID-mapped mounts the runtime prepared (linux/idmap.ts): mounts[] index → fd, inherited by the init. */
  idmapFds?: Record<number, number>;
  /** Bind sources the runtime opens for an init in a user namespace (linux/mount-sources.ts), and the fds it got. */
  mountSources?: { index: number; source: string }[];
  mountSourceFds?: Record<number, number>;
}

export interface InitOptions {
  id: string;
  bundle: string;
  rootfs: string;
  spec: Spec;
  preserveFds: number;
  noPivot: boolean;
  fifoPath: string;
  state: State;
  consoleSocketFd?: number;
  fifoFd: number;
  warn?: (msg: string) => void;
  /** The runtime writes "deny" to the user namespace's setgroups (unprivileged, own gid mapped). */
  setgroupsDenied?: boolean;
  rootless?: boolean;
}

/** Is container id `id` mapped in these mappings? */
export function isMapped(maps: IdMapping[], id: number): boolean {
  return maps.some((m) => id >= m.containerID && id < m.containerID + m.size);
}

export function mappingText(maps: IdMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

function timeOffsetsText(spec: Spec): string | undefined {
  const offs = spec.linux?.timeOffsets;
  if (!offs) return undefined;
  const lines = Object.entries(offs).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`);
  return lines.length ? lines.join('') : undefined;
}

/** `warn` receives what the spec says to log and ignore (capabilities the kernel does not know). */
export function planProcess(spec: Spec, setgroupsDenied: boolean, warn: (msg: string) => void = () => {}): ProcessPlan {
  const p = spec.process;
  if (!p) throw new Error('config.json: /process: missing (a container needs a process to run)');
  const caps = p.capabilities;
  const capMask = (names: string[] | undefined, where: string) =>
    capsToMask(names ?? [], where, { onUnknown: (name) => warn(`${where}: unknown capability "${name}" ignored`) });
  const identity: IdentityPlan = {
    uid: p.user.uid,
    gid: p.user.gid,
    additionalGids: p.user.additionalGids ?? [],
    umask: p.user.umask,
    rlimits: parseRlimits(p.rlimits ?? []),
    noNewPrivileges: p.noNewPrivileges === true,
    oomScoreAdj: p.oomScoreAdj,
    setgroupsDenied,
    caps: caps === undefined ? undefined : {
      bounding: capMask(caps.bounding, '/process/capabilities/bounding'),
      effective: capMask(caps.effective, '/process/capabilities/effective'),
      permitted: capMask(caps.permitted, '/process/capabilities/permitted'),
      inheritable: capMask(caps.inheritable, '/process/capabilities/inheritable'),
      ambient: capMask(caps.ambient, '/process/capabilities/ambient'),
    },
  };
  if (identity.caps) {
    const { raise, skipped } = splitAmbient(identity.caps);
    identity.caps.ambient = raise;
    if (skipped) {
      warn(`/process/capabilities/ambient: ${maskToCaps(skipped).join(', ')} not raised: an ambient capability must also be permitted and inheritable`);
    }
  }
  const env = p.env ?? [];
  return {
    args: p.args ?? [],
    env,
    cwd: p.cwd,
    terminal: p.terminal === true,
    identity,
  };
}

export function planInit(o: InitOptions): InitPlan {
  const spec = o.spec;
  const namespaces = planNamespaces(spec.linux?.namespaces);
  return {
    id: o.id,
    bundle: o.bundle,
    rootfs: o.rootfs,
    spec,
    namespaces,
    uidMappings: spec.linux?.uidMappings ?? [],
    gidMappings: spec.linux?.gidMappings ?? [],
    timeOffsets: namespaces.has('time') === 'new' ? timeOffsetsText(spec) : undefined,
    hostname: spec.hostname,
    domainname: spec.domainname,
    process: planProcess(spec, o.setgroupsDenied === true, o.warn),
    preserveFds: o.preserveFds,
    noPivot: o.noPivot,
    hooks: spec.hooks ?? {},
    fifoPath: o.fifoPath,
    state: o.state,
    consoleSocketFd: o.consoleSocketFd,
    fifoFd: o.fifoFd,
    seccomp: planSeccomp(spec.linux?.seccomp),
    rootless: o.rootless === true,
  };
}

/**
 * Socket activation (sd_listen_fds): when the runtime was handed LISTEN_FDS for
 * its own pid, those fds (from 3) go to the container too, before --preserve-fds
 * ones, and the process is told they are its own (LISTEN_PID=1), as runc does.
 */
export function applySocketActivation(plan: InitPlan, env: NodeJS.ProcessEnv, ownPid: number): void {
  const n = Number(env.LISTEN_FDS);
  if (!Number.isInteger(n) || n <= 0 || env.LISTEN_PID !== String(ownPid)) return;
  plan.preserveFds += n;
  plan.process.env = [
    ...plan.process.env.filter((e) => !e.startsWith('LISTEN_FDS=') && !e.startsWith('LISTEN_PID=')),
    `LISTEN_FDS=${n}`, 'LISTEN_PID=1',
  ];
}

/** Finds an executable inside the container the way execvp would: PATH from the process env. */
export function lookPath(file: string, env: string[], isExecutable: (p: string) => boolean, exists: (p: string) => boolean = () => false): string {
  if (file.includes('/')) {
    if (isExecutable(file)) return file;
    // Engines map these words to exit statuses: 126 (permission denied), 127 (not found).
    throw new Error(`exec: "${file}": ${exists(file) ? 'permission denied' : 'no such file or directory'}`);
  }
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of pathVar.split(':')) {
    const candidate = path.join(dir || '.', file);
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(`exec: "${file}": executable file not found in $PATH`);
}
