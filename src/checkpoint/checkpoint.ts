// `checkpoint`: dump a running container with CRIU (runc's options and behaviour).
// The container keeps running if the dump fails; after a dump without
// --leave-running/--pre-dump its processes are gone and it is deleted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Mount, Spec } from '../spec/types';
import { containerStatus, deleteContainer } from '../runtime/lifecycle';
import { RuntimeError, loadRecord, lockContainer, stateDir, type ContainerRecord } from '../runtime/state';
import * as libc from '../sys/libc';
import { errnoMessage } from '../sys/errno';
import { locateCriu } from './locate';
import { hostCgroupHierarchies } from '../linux/mount-info';
import { planCgroupMount } from '../linux/cgroup-mount';
import type { CgroupMountOp } from '../linux/mount-plan';
import { isSubpath } from '../linux/paths';
import {
  cgroupBindMounts, type CgroupBind, cgroupsMode, criuConfigFile, dumpExternalMounts, dumpExternalNamespaces, emptyNsMask,
} from './plan';
import type { CriuFeatures, CriuOpts, CriuReq } from './rpc';
import { criuSwrk, CriuError } from './swrk';

export const LAZY_PAGES = '--lazy-pages is not supported by ocits: lazy migration needs a page server and CRIU\'s lazy-pages daemon, which ocits does not run';

const O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;

export interface CheckpointOptions {
  root: string;
  id: string;
  criu?: string;
  imagePath?: string;
  workPath?: string;
  parentPath?: string;
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  lazyPages?: boolean;
  fileLocks?: boolean;
  preDump?: boolean;
  manageCgroupsMode?: string;
  emptyNs?: string[];
  autoDedup?: boolean;
}

/** --image-path (default ./checkpoint, made 0700) and --parent-path (relative to it, must be a directory). */
export function prepareImagePaths(o: { imagePath?: string; parentPath?: string }): { image: string; parent?: string } {
  const image = path.resolve(o.imagePath || 'checkpoint');
  fs.mkdirSync(image, { recursive: true, mode: 0o700 });
  if (!o.parentPath) return { image };
  if (path.isAbsolute(o.parentPath)) throw new RuntimeError('--parent-path must be relative');
  const real = path.join(image, o.parentPath);
  let st: fs.Stats;
  try {
    st = fs.statSync(real);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).errno;
    throw new RuntimeError(`invalid --parent-path: stat ${real}: ${errno ? errnoMessage(-errno) : (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new RuntimeError(`invalid --parent-path: ${real}: not a directory`);
  return { image, parent: o.parentPath };
}

export function openDir(dir: string): number {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return libc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

export function loadContainerSpec(root: string, id: string): Spec {
  return JSON.parse(fs.readFileSync(path.join(stateDir(root, id), 'config.json'), 'utf8')) as Spec;
}

/** The freezer cgroup CRIU freezes the tasks with (v1 freezer; on v2, the unified directory). */
export function freezerPath(rec: ContainerRecord): string | undefined {
  const v1 = rec.cgroups.find((c) => c.path.startsWith('/sys/fs/cgroup/freezer/'));
  if (v1) return v1.path;
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return rec.cgroups[0]?.path;
  return undefined;
}

/**
 * The binds create's plan makes for a cgroup mount of the container, given its processes'
 * /proc/PID/cgroup text (host hierarchies below `under`, copies in a rootfs, left out).
 */
export function cgroupBinds(spec: Spec, procCgroup: string, ...under: string[]): (m: Mount) => CgroupBind[] {
  const hierarchies = hostCgroupHierarchies().filter((h) => !under.some((u) => isSubpath(u, h.mountpoint)));
  const cgroupNs = (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup');
  return (m) => planCgroupMount({ type: m.type, flags: 0 } as CgroupMountOp, { hierarchies, selfCgroup: procCgroup, cgroupNs })
    .flatMap((s) => (s.kind === 'bind' ? [{ name: s.name, source: s.source }] : []));
}

/** The checkpoint's external stdio (runc's descriptors.json): what fds 0-2 of the init point at. */
function stdioDescriptors(pid: number): string[] {
  return [0, 1, 2].map((fd) => { try { return fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return '/dev/null'; } });
}

/** Files (not directories) among maskedPaths, as the init sees them. */
function maskedFiles(spec: Spec, pid: number): string[] {
  return (spec.linux?.maskedPaths ?? []).filter((p) => {
    try { return !fs.statSync(`/proc/${pid}/root/${p}`).isDirectory(); } catch { return false; }
  });
}

export async function checkpointContainer(o: CheckpointOptions): Promise<void> {
  const lock = lockContainer(o.root, o.id);
  let dumped = false;
  try {
    const rec = loadRecord(o.root, o.id);
    const status = containerStatus(o.root, rec);
    if (status === 'created' || status === 'stopped') throw new RuntimeError(`Container cannot be checkpointed in ${status} state`);
    const spec = loadContainerSpec(o.root, o.id);
    const mode = cgroupsMode(o.manageCgroupsMode);
    const emptyNs = emptyNsMask(o.emptyNs ?? []);
    const criu = await locateCriu(o.criu);
    const { image, parent } = prepareImagePaths(o);
    const fds: number[] = [];
    try {
      const imageFd = openDir(image);
      fds.push(imageFd);
      const opts: CriuOpts = {
        images_dir_fd: imageFd, log_level: 4, log_file: 'dump.log', root: rec.rootfs, manage_cgroups: true,
        notify_scripts: true, pid: rec.pid, shell_job: !!o.shellJob, leave_running: !!o.leaveRunning,
        tcp_established: !!o.tcpEstablished, ext_unix_sk: !!o.extUnixSk, file_locks: !!o.fileLocks, empty_ns: emptyNs,
        orphan_pts_master: true, auto_dedup: !!o.autoDedup, lazy_pages: !!o.lazyPages,
      };
      if (o.workPath) { opts.work_dir_fd = openDir(path.resolve(o.workPath)); fds.push(opts.work_dir_fd); }
      const cfg = criuConfigFile(spec.annotations);
      if (cfg) opts.config_file = cfg;
      opts.external = dumpExternalNamespaces(spec, (p) => fs.statSync(p).ino);
      const freezer = freezerPath(rec);
      if (freezer) opts.freeze_cgroup = freezer;
      if (parent) { opts.parent_img = parent; opts.track_mem = true; }
      if (mode) opts.manage_cgroups_mode = mode;
      const logPath = path.join(o.workPath ? path.resolve(o.workPath) : image, 'dump.log');
      if (o.preDump) await requireFeatures(criu.path, opts, { mem_track: true });
      if (o.lazyPages) {
        await requireFeatures(criu.path, opts, { lazy_pages: true });
        throw new RuntimeError(LAZY_PAGES);
      }
      const req: CriuReq = { type: o.preDump ? 'PRE_DUMP' : 'DUMP', opts };
      if (!o.preDump) {
        opts.ext_mnt = [
          ...dumpExternalMounts(spec, maskedFiles(spec, rec.pid)),
          ...cgroupBindMounts(spec, cgroupBinds(spec, fs.readFileSync(`/proc/${rec.pid}/cgroup`, 'utf8'), rec.rootfs), false),
        ];
        fs.writeFileSync(path.join(image, 'descriptors.json'), JSON.stringify(stdioDescriptors(rec.pid)), { mode: 0o600 });
      }
      await criuSwrk(req, {
        criu: criu.path, logPath,
        onNotify: (script) => {
          if (script === 'post-dump') fs.writeFileSync(path.join(stateDir(o.root, o.id), 'checkpoint'), '');
        },
      });
      dumped = !o.leaveRunning && !o.preDump;
    } finally {
      for (const fd of fds) libc.close(fd);
      fs.rmSync(path.join(stateDir(o.root, o.id), 'checkpoint'), { force: true });
    }
  } finally {
    lock.release();
  }
  // CRIU killed the container's processes: what remains is deleted as after they exit.
  if (dumped) deleteContainer(o.root, o.id, { force: true });
}

/** A FEATURE_CHECK; runc's message when CRIU lacks one. */
export async function requireFeatures(criu: string, opts: CriuOpts, want: CriuFeatures): Promise<void> {
  let got: CriuFeatures | undefined;
  try {
    got = (await criuSwrk({ type: 'FEATURE_CHECK', opts, features: want }, { criu })).features;
  } catch {
    throw new CriuError('CRIU feature check failed');
  }
  for (const k of Object.keys(want) as (keyof CriuFeatures)[]) {
    if (want[k] && got?.[k] !== true) throw new CriuError('CRIU is missing features');
  }
}
