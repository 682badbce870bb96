// `create`: validate the bundle, make the state directory, fork the init and
// walk it through its stages; return once the container exists ("created").
// Any failure removes every trace: the init, its cgroups, the state directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadBundleConfig } from '../spec/load';
import { checkHostPolicy } from './host-policy';
import type { State } from '../spec/types';
import { OCI_VERSION } from '../spec/types';
import * as libc from '../sys/libc';
import { killPoint } from './kill-point';
import { channelPair, receive, send } from './channel';
import { planInit, applySocketActivation, type InitPlan } from './init-plan';
import { prepareIdMaps, writeIdMaps, checkRootlessProcess, type IdMapSetup } from './userns-setup';
import { runInit } from './init-process';
import { hookState, runHooks, runHooksWarnOnly } from './hooks';
import { containerDeviceRules } from '../linux/device-access';
import { connectConsoleSocket, connectUnixStream } from '../linux/console';
import { prepareSeccomp } from '../linux/seccomp';
import { prepareInitIdmaps, type IdmapMounts } from '../linux/idmap';
import { mountSourceRequests, sendMountSources } from '../linux/mount-sources';
import { cgroupManager, rootlessCgroupManager, type CgroupManager } from '../cgroups';
import { openPidFile } from './pid-file';
import { debug, STEP } from './debug';
import {
  RuntimeError, type ContainerRecord, fifoPath, lockContainer, pendingCgroupsFile, processStat, saveRecord, stateDir,
} from './state';

const PR_SET_CHILD_SUBREAPER = 36;

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  preserveFds?: number;
  noPivot?: boolean;
  systemdCgroup?: boolean;
  consoleSocket?: string;
  /** An already connected socket to send the pty master to (run's own terminal relay). */
  consoleSocketFd?: number;
  /** The size of the terminal run relays to (it wins over process.consoleSize, as with runc). */
  consoleSize?: { height: number; width: number };
  /** Not the host's root (--rootless): cgroups only where delegated, maps through newuidmap when needed. */
  rootless?: boolean;
  /** Receives warnings (the CLI logs them). */
  warn?: (msg: string) => void;
}

export interface Created { record: ContainerRecord; plan: InitPlan }

export function createContainer(o: CreateOptions): Created {
  const lock = lockContainer(o.root, o.id);
  killPoint('create:locked');
  try {
    return createLocked(o, lock.fd);
  } finally {
    lock.release();
  }
}

function createLocked(o: CreateOptions, lockFd: number): Created {
  const dir = stateDir(o.root, o.id);
  const loaded = loadBundleConfig(o.bundle);
  const spec = loaded.spec;
  if (!spec.process) throw new RuntimeError('config.json: /process: a container needs a process to run');
  checkHostPolicy(spec);
  if (spec.process.terminal && !o.consoleSocket && o.consoleSocketFd === undefined) {
    throw new RuntimeError('config.json: /process/terminal is true: a terminal needs --console-socket');
  }
  // Mappings the caller may not have fail here, before anything exists.
  const newUser = (spec.linux?.namespaces ?? []).some((n) => n.type === 'user' && !n.path);
  const idMaps = newUser ? prepareIdMaps(spec.linux?.uidMappings ?? [], spec.linux?.gidMappings ?? []) : undefined;
  try {
    fs.mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RuntimeError(`container with id "${o.id}" already exists`);
    throw e;
  }
  let initPid = 0;
  let cgroups: CgroupManager | undefined;
  // A console socket connected here is closed here; a passed-in one belongs to the caller.
  let consoleFd: number | undefined;
  let fifoFd = -1;
  let idmaps: IdmapMounts | undefined;
  try {
    fs.copyFileSync(loaded.configPath, path.join(dir, 'config.json'));
    killPoint('create:statedir');
    if (spec.process.terminal && o.consoleSocket && o.consoleSocketFd === undefined) consoleFd = connectConsoleSocket(o.consoleSocket);
    const fifo = fifoPath(dir);
    libc.mkfifo(fifo, 0o622);
    libc.chmod(fifo, 0o622); // not the umask's: a user-namespaced init must be able to open it for writing
    fifoFd = libc.open(fifo, 0x200000 /* O_PATH */ | 0x80000 /* O_CLOEXEC */);
    const state: State = { ociVersion: OCI_VERSION, id: o.id, status: 'creating', bundle: loaded.bundle };
    if (spec.annotations) state.annotations = spec.annotations;
    const plan = planInit({
      id: o.id, bundle: loaded.bundle, rootfs: loaded.rootfs, spec, preserveFds: o.preserveFds ?? 0,
      noPivot: o.noPivot === true, fifoPath: fifo, state,
      consoleSocketFd: spec.process.terminal ? o.consoleSocketFd ?? consoleFd : undefined, fifoFd, warn: o.warn,
      setgroupsDenied: idMaps?.denySetgroups === true, rootless: o.rootless,
    });
    if (o.consoleSize) plan.consoleSize = o.consoleSize;
    applySocketActivation(plan, process.env, process.pid);
    if (o.rootless) checkRootlessProcess(plan);
    // libseccomp is opened (and the filter dry-run built) here: the init cannot load it after pivot_root.
    if (plan.seccomp) prepareSeccomp(plan.seccomp);
    // ID-mapped mounts need the host's privileges: made here, attached by the init.
    idmaps = prepareInitIdmaps(plan);
    plan.mountSources = mountSourceRequests(plan);
    // Each directory is noted before it is made: a create killed before the record below (even
    // right after a mkdir) leaves `delete --force` the list (pendingCgroupsFile) to remove.
    const beforeMkdir = (d: string) => { fs.appendFileSync(pendingCgroupsFile(dir), `${d}\n`); };
    const onMkdir = () => killPoint('create:cgroup-mkdir');
    const cgOpts = { id: o.id, cgroupsPath: spec.linux?.cgroupsPath, systemd: o.systemdCgroup, onMkdir, beforeMkdir };
    cgroups = o.rootless ? rootlessCgroupManager(cgOpts, spec.linux?.resources) : cgroupManager(cgOpts);
    cgroups.create();
    // As runc 1.1: a cgroup that already has processes is joined, with a warning.
    const busy = cgroups.pids().length;
    if (busy > 0) o.warn?.(`container's cgroup is not empty: ${busy} process(es) found`);
    // Recorded before anything runs, so that `delete --force` can undo a create killed half-way.
    const pending: ContainerRecord = {
      id: o.id, pid: 0, startTime: '', bundle: loaded.bundle, rootfs: loaded.rootfs,
      created: new Date().toISOString(), annotations: spec.annotations ?? {}, hooks: spec.hooks ?? {},
      cgroups: cgroups.paths(), ownPidNamespace: plan.namespaces.has('pid') === 'new', owner: process.getuid?.() ?? 0,
      rootless: o.rootless === true,
    };
    saveRecord(dir, pending);
    killPoint('create:record');
    const resources = spec.linux?.resources;
    cgroups.apply({ ...resources, devices: containerDeviceRules(spec) });

    libc.prctl(PR_SET_CHILD_SUBREAPER, 1);
    const [parentEnd, childEnd] = channelPair();
    const stage1 = libc.forkProcess();
    // The init must not keep the container lock (flock follows the open file).
    if (stage1 === 0) runInit(plan, childEnd, [parentEnd, lockFd]);
    libc.close(childEnd);
    killPoint('create:forked');
    if (consoleFd !== undefined) { libc.close(consoleFd); consoleFd = undefined; }
    libc.close(fifoFd);
    fifoFd = -1;
    idmaps?.close();
    try {
      initPid = driveInit(plan, parentEnd, stage1, cgroups, idMaps);
    } finally {
      libc.close(parentEnd);
    }
    const st = processStat(initPid);
    if (!st) throw new RuntimeError('container init exited before it was ready');
    const record: ContainerRecord = { ...pending, pid: initPid, startTime: st.startTime };
    killPoint('create:ready');
    saveRecord(dir, record);
    if (o.pidFile) openPidFile(o.pidFile).commit(initPid);
    return { record, plan };
  } catch (e) {
    if (consoleFd !== undefined) libc.close(consoleFd);
    if (fifoFd >= 0) libc.close(fifoFd);
    idmaps?.close();
    if (initPid > 0) {
      try { libc.kill(initPid, 9); libc.waitpid(initPid, 0); } catch { /* already gone */ }
    }
    try { cgroups?.destroy(); } catch { /* best effort: report the first error */ }
    fs.rmSync(dir, { recursive: true, force: true });
    // The spec's lifecycle continues at "destroy, then poststop hooks" when create fails after its hooks could run.
    if (spec.hooks?.poststop) {
      const state: State = { ociVersion: OCI_VERSION, id: o.id, status: 'stopped', bundle: loaded.bundle };
      for (const w of runHooksWarnOnly('poststop', spec.hooks.poststop, state)) process.stderr.write(`ocits: warning: ${w}\n`);
    }
    throw e;
  }
}

/** The runtime's side of the init's stages; returns the init's pid. */
function driveInit(plan: InitPlan, fd: number, stage1: number, cgroups: CgroupManager, idMaps?: IdMapSetup): number {
  let initPid = 0;
  const reap1 = () => { try { libc.waitpid(stage1, 0); } catch { /* reaped */ } };
  try {
    for (;;) {
      const m = receive(fd);
      if (!m) throw new RuntimeError('container init exited unexpectedly');
      switch (m.type) {
        case 'stage1':
          if (idMaps) writeIdMaps(stage1, idMaps);
          cgroups.join(stage1);
          debug(`${STEP.setup}: stage 1 (pid ${stage1}) joined the cgroups${idMaps ? ', its id maps written' : ''}`);
          send(fd, { type: 'go' });
          break;
        case 'init-pid':
          initPid = m.pid as number;
          debug(`${STEP.init}: the init is pid ${initPid}`);
          reap1();
          break;
        case 'hooks': {
          const state = hookState(plan.state, 'creating', initPid);
          try {
            runHooks('prestart', plan.hooks.prestart, state);
            runHooks('createRuntime', plan.hooks.createRuntime, state);
          } catch (e) {
            send(fd, { type: 'abort' });
            throw e;
          }
          send(fd, { type: 'ok', pid: initPid });
          break;
        }
        case 'mount-sources':
          sendMountSources(stage1, plan.mountSources ?? [], fd);
          break;
        case 'seccomp-notify':
          sendToSeccompListener(plan, libc.recvFd(fd).fd, initPid);
          break;
        case 'error':
          throw new RuntimeError(String(m.message));
        case 'ready':
          debug(`${STEP.ready}: the init (pid ${initPid}) is set up and waits for start`);
          return initPid;
        default:
          throw new RuntimeError(`unexpected message "${m.type}" from the container init`);
      }
    }
  } catch (e) {
    if (initPid > 0) { try { libc.kill(initPid, 9); } catch { /* gone */ } }
    try { libc.kill(stage1, 9); } catch { /* gone */ }
    reap1();
    if (initPid > 0) { try { libc.waitpid(initPid, 0); } catch { /* not our child */ } }
    throw e;
  }
}

/** Hands the seccomp notify fd to linux.seccomp.listenerPath with the container's state, as runc does. */
function sendToSeccompListener(plan: InitPlan, notifyFd: number, initPid: number): void {
  const listener = plan.seccomp?.listenerPath;
  try {
    if (!listener) throw new RuntimeError('linux.seccomp: a notify fd without listenerPath');
    const state = {
      ociVersion: OCI_VERSION, fds: ['seccompFd'], pid: initPid, metadata: plan.seccomp?.listenerMetadata ?? '',
      state: { ...plan.state, status: 'creating', pid: initPid },
    };
    const sock = connectUnixStream(listener, 'linux.seccomp.listenerPath');
    try { libc.sendFd(sock, JSON.stringify(state), notifyFd); } finally { libc.close(sock); }
  } finally {
    libc.close(notifyFd);
  }
}
