// `restore`: a new container from a checkpoint, through CRIU (runc's options and
// behaviour): cgroups per the bundle's config, prestart/createRuntime hooks when
// CRIU has set up the namespaces, the state file once the process is back.
// A failed restore leaves no container, cgroup, mount or process behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadBundleConfig } from '../spec/load';
import { OCI_VERSION, type State } from '../spec/types';
import { cgroupManager, type CgroupManager } from '../cgroups';
import { containerDeviceRules } from '../linux/device-access';
import { connectConsoleSocket } from '../linux/console';
import { hookState, runHooks } from '../runtime/hooks';
import { deleteContainer } from '../runtime/lifecycle';
import { waitForExit } from '../runtime/run';
import {
  RuntimeError, type ContainerRecord, lockContainer, processStat, saveRecord, stateDir, writeFileAtomic,
} from '../runtime/state';
import * as libc from '../sys/libc';
import { cgroupBinds, LAZY_PAGES, openDir } from './checkpoint';
import { locateCriu } from './locate';
import { criuRootOf } from './criu-root';
import { bringUpLoopbackOf } from './loopback';
import { prepareRestoreMountpoints } from './mountpoints';
import {
  cgroupBindMounts, cgroupRoots, cgroupsMode, criuConfigFile, emptyNsMask, inheritPipes, restoreExternalMounts, restoreNamespaces,
} from './plan';
import type { CriuOpts } from './rpc';
import { criuSwrk } from './swrk';

const PR_SET_CHILD_SUBREAPER = 36, MS_BIND = 0x1000, MS_REC = 0x4000, MNT_DETACH = 2, O_RDONLY = 0, O_CLOEXEC = 0x80000;

export interface RestoreOptions {
  root: string;
  id: string;
  bundle: string;
  criu?: string;
  systemdCgroup?: boolean;
  imagePath?: string;
  workPath?: string;
  consoleSocket?: string;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  manageCgroupsMode?: string;
  detach?: boolean;
  pidFile?: string;
  noSubreaper?: boolean;
  emptyNs?: string[];
  autoDedup?: boolean;
  lazyPages?: boolean;
}

/** Restores the container; returns its exit status (0 at once with --detach). */
export async function restoreContainer(o: RestoreOptions): Promise<number> {
  if (o.lazyPages) throw new RuntimeError(LAZY_PAGES);
  const mode = cgroupsMode(o.manageCgroupsMode);
  const emptyNs = emptyNsMask(o.emptyNs ?? []);
  const image = path.resolve(o.imagePath || 'checkpoint');
  let descriptors: string[];
  try {
    descriptors = JSON.parse(fs.readFileSync(path.join(image, 'descriptors.json'), 'utf8')) as string[];
  } catch (e) {
    throw new RuntimeError(`${image}: not a checkpoint (descriptors.json: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const criu = await locateCriu(o.criu);
  if (!o.noSubreaper) libc.prctl(PR_SET_CHILD_SUBREAPER, 1);
  const lock = lockContainer(o.root, o.id);
  let record: ContainerRecord;
  try {
    record = await restoreLocked(o, { criu: criu.path, image, descriptors, mode, emptyNs });
  } finally {
    lock.release();
  }
  if (o.detach) return 0;
  const status = await waitForExit(record.pid);
  deleteContainer(o.root, o.id, { force: true });
  return status;
}

/** Our stdio for CRIU (the restored process inherits its pipes from there); a closed one as /dev/null. */
function ownStdio(): [number | 'ignore', number | 'ignore', number | 'ignore'] {
  const open = (fd: number) => { try { fs.fstatSync(fd); return fd; } catch { return 'ignore' as const; } };
  return [open(0), open(1), open(2)];
}

interface Prepared { criu: string; image: string; descriptors: string[]; mode: CriuOpts['manage_cgroups_mode']; emptyNs: number }

async function restoreLocked(o: RestoreOptions, p: Prepared): Promise<ContainerRecord> {
  const loaded = loadBundleConfig(o.bundle);
  const spec = loaded.spec;
  if (!spec.process) throw new RuntimeError('config.json: /process: a container needs a process to run');
  if (spec.process.terminal && !o.consoleSocket) throw new RuntimeError('config.json: /process/terminal is true: a terminal needs --console-socket');
  const dir = stateDir(o.root, o.id);
  try {
    fs.mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RuntimeError(`container with id "${o.id}" already exists`);
    throw e;
  }
  const fds: number[] = [];
  const criuRoot = criuRootOf(dir);
  let rootMounted = false;
  let cgroups: CgroupManager | undefined;
  let restoredPid = 0;
  const unmountRoot = () => {
    if (rootMounted) { try { libc.umount2(criuRoot, MNT_DETACH); rootMounted = false; } catch { /* reported by rmdir */ } }
    try { fs.rmdirSync(criuRoot); } catch { /* not made */ }
  };
  try {
    fs.copyFileSync(loaded.configPath, path.join(dir, 'config.json'));
    cgroups = cgroupManager({ id: o.id, cgroupsPath: spec.linux?.cgroupsPath, systemd: o.systemdCgroup });
    cgroups.create();
    const pending: ContainerRecord = {
      id: o.id, pid: 0, startTime: '', bundle: loaded.bundle, rootfs: loaded.rootfs, created: new Date().toISOString(),
      annotations: spec.annotations ?? {}, hooks: spec.hooks ?? {}, cgroups: cgroups.paths(),
      ownPidNamespace: (spec.linux?.namespaces ?? []).some((n) => n.type === 'pid' && !n.path), owner: process.getuid?.() ?? 0,
    };
    saveRecord(dir, pending);
    // CRIU wants a root that is a mount point whose parent is not overmounted.
    fs.mkdirSync(criuRoot, { mode: 0o755 });
    libc.mount(loaded.rootfs, criuRoot, null, MS_BIND | MS_REC, null);
    rootMounted = true;
    prepareRestoreMountpoints(spec, loaded.rootfs, loaded.bundle);

    const imageFd = openDir(p.image);
    fds.push(imageFd);
    const opts: CriuOpts = {
      images_dir_fd: imageFd, evasive_devices: true, log_level: 4, log_file: 'restore.log', rst_sibling: true,
      root: criuRoot, manage_cgroups: true, notify_scripts: true, shell_job: !!o.shellJob, ext_unix_sk: !!o.extUnixSk,
      tcp_established: !!o.tcpEstablished, file_locks: !!o.fileLocks, empty_ns: p.emptyNs, orphan_pts_master: true,
      auto_dedup: !!o.autoDedup,
    };
    if (o.workPath) { opts.work_dir_fd = openDir(path.resolve(o.workPath)); fds.push(opts.work_dir_fd); }
    const cfg = criuConfigFile(spec.annotations);
    if (cfg) opts.config_file = cfg;
    const ns = restoreNamespaces(spec);
    const extraFds: number[] = [];
    opts.inherit_fd = [];
    for (const e of ns.inherit) {
      let fd: number;
      try { fd = libc.open(e.path, O_RDONLY | O_CLOEXEC); } catch { throw new RuntimeError(`Requested namespace ${e.path} does not exist`); }
      fds.push(fd);
      // CRIU's fds 0-2 are stdio and 3 the RPC socket: ours follow from 4.
      opts.inherit_fd.push({ key: e.key, fd: 4 + extraFds.length });
      extraFds.push(fd);
    }
    if (ns.joinNs.length) opts.join_ns = ns.joinNs;
    opts.ext_mnt = restoreExternalMounts(spec, loaded.bundle);
    if (p.mode) opts.manage_cgroups_mode = p.mode;
    opts.inherit_fd.push(...inheritPipes(p.descriptors));

    const logPath = path.join(o.workPath ? path.resolve(o.workPath) : p.image, 'restore.log');
    const base: State = { ociVersion: OCI_VERSION, id: o.id, status: 'creating', bundle: loaded.bundle, annotations: spec.annotations };
    const stateFor = (status: State['status'], pid: number): State => hookState(base, status, pid);
    const cg = cgroups;
    const ownNetns = (spec.linux?.namespaces ?? []).some((n) => n.type === 'network' && !n.path);
    await criuSwrk({ type: 'RESTORE', opts }, {
      criu: p.criu, logPath, stdio: ownStdio(), extraFds,
      onStart: (criuPid) => {
        // CRIU runs in the container's cgroups and restores the tasks there (cg_root).
        cg.join(criuPid);
        const resources = spec.linux?.resources;
        cg.apply(resources && { ...resources, devices: containerDeviceRules(spec) });
        const cgText = fs.readFileSync(`/proc/${criuPid}/cgroup`, 'utf8');
        opts.cg_root = cgroupRoots(cgText);
        opts.ext_mnt!.push(...cgroupBindMounts(spec, cgroupBinds(spec, cgText, loaded.rootfs, criuRoot), true));
      },
      onNotify: (script, pid, received) => {
        if (script === 'setup-namespaces') {
          if (ownNetns) bringUpLoopbackOf(pid);
          runHooks('prestart', spec.hooks?.prestart, stateFor('creating', pid));
          runHooks('createRuntime', spec.hooks?.createRuntime, stateFor('creating', pid));
        } else if (script === 'post-restore') {
          restoredPid = pid;
          const st = processStat(pid);
          if (!st) throw new RuntimeError(`restored process ${pid} is gone`);
          saveRecord(dir, { ...pending, pid, startTime: st.startTime, created: new Date().toISOString() });
        } else if (script === 'orphan-pts-master') {
          if (!o.consoleSocket || received.length === 0) return;
          const sock = connectConsoleSocket(o.consoleSocket);
          try { libc.sendFd(sock, '/dev/ptmx', received[0]); } finally { libc.close(sock); }
        }
      },
    });
    if (restoredPid === 0) throw new RuntimeError('CRIU did not report the restored process');
    if (o.pidFile) writeFileAtomic(path.resolve(o.pidFile), String(restoredPid), 0o644);
    const rec = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as ContainerRecord;
    return rec;
  } catch (e) {
    for (const fd of fds.splice(0)) libc.close(fd);
    unmountRoot();
    if (restoredPid > 0) { try { libc.kill(restoredPid, 9); libc.waitpid(restoredPid, 0); } catch { /* gone */ } }
    try { for (const pid of cgroups?.pids() ?? []) libc.kill(pid, 9); } catch { /* none */ }
    try { cgroups?.destroy(); } catch { /* report the first error */ }
    // Never while the rootfs is still bound below the state directory.
    if (!rootMounted) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    for (const fd of fds) libc.close(fd);
    unmountRoot();
  }
}
