// Apply step for the container's filesystem: runs in the init, inside its new
// mount namespace. setupRootfs (mounts and devices, still seeing host paths),
// enterRootfs (pivot_root or move+chroot), finishRootfs (masked and read-only
// paths, sysctl, read-only root), in that order.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libc from '../sys/libc';
import { moveMount, openTree, MOVE_MOUNT_F_EMPTY_PATH, MOVE_MOUNT_T_EMPTY_PATH, OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC, AT_EMPTY_PATH } from '../sys/mount-api';
import type { SysError } from '../sys/errno';
import type { InitPlan } from '../runtime/init-plan';
import { planMounts, type MountOp, type BindMountOp, type CgroupMountOp, type FsMountOp } from './mount-plan';
import { planDevices, defaultDevSymlinks, PTMX_SYMLINK, makedev, type DeviceNodePlan } from './devices-plan';
import { MS_BIND, MS_REC, MS_REMOUNT, MS_RDONLY, MS_SLAVE, MS_PRIVATE, MS_MOVE, MS_NOSUID, MS_NODEV, MS_NOEXEC } from './mount-options';
import { securePathInRoot, isSubpath, joinInRoot, containerPathOf, type LstatLike } from './paths';
import { sysctlPath } from './sysctl-policy';
import { hideHostProcSys } from './no-pivot';
import { ordinaryDirRefusal, procTargetRefusal, type NodeKind } from './mount-guard';
import { lockedFlagsFromStatvfs, hostCgroupHierarchies, parseMountInfo } from './mount-info';
import { planCgroupMount, type CgroupStep } from './cgroup-mount';
import { openCovered, copyUp } from './tmpcopyup';
import { planRootPropagation, mountsToPrivatize } from './root-propagation';

const O_PATH = 0x200000, O_CLOEXEC = 0x80000, O_NOFOLLOW = 0x20000, O_DIRECTORY = 0x10000, O_RDONLY = 0;
const MNT_DETACH = 2;
const PROC_SUPER_MAGIC = 0x9fa0;

export class MountError extends Error {}

const lstatHost: LstatLike = (p) => {
  try {
    const st = fs.lstatSync(p);
    return st.isSymbolicLink() ? { isSymlink: true, target: fs.readlinkSync(p) } : { isSymlink: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
};

/** A container path as a host path inside the rootfs, symlinks resolved inside it. */
export function resolveInRootfs(rootfs: string, containerPath: string): string {
  const p = securePathInRoot(rootfs, containerPath, lstatHost);
  if (!isSubpath(rootfs, p)) throw new MountError(`${containerPath} resolves outside the rootfs`);
  return p;
}

function nodeKind(hostPath: string): NodeKind {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(hostPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
  return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'other';
}

function isProcfs(source: string): boolean {
  const fd = libc.open(source, O_PATH | O_CLOEXEC);
  try {
    return libc.fstatfsType(fd) === PROC_SUPER_MAGIC;
  } finally {
    libc.close(fd);
  }
}

/** The destination resolved inside the rootfs, after the checks of mount-guard.ts (type null: a bind). */
function guardedDestination(rootfs: string, op: MountOp, type: string | null, source: string | null): string {
  const notOrdinary = ordinaryDirRefusal(type ?? '', op.destination, (p) => nodeKind(joinInRoot(rootfs, p)));
  if (notOrdinary) throw new MountError(notOrdinary);
  const dest = resolveInRootfs(rootfs, op.destination);
  const inProc = procTargetRefusal({ resolved: containerPathOf(rootfs, dest) ?? '/', type, sourceIsProcfs: () => source !== null && isProcfs(source) });
  if (inProc) throw new MountError(inProc);
  return dest;
}

function ensureDir(hostPath: string): void {
  fs.mkdirSync(hostPath, { recursive: true, mode: 0o755 });
}

function ensureFile(hostPath: string): void {
  ensureDir(path.dirname(hostPath));
  if (!fs.existsSync(hostPath)) fs.closeSync(fs.openSync(hostPath, 'a', 0o644));
}

/** Runs `f` on an O_PATH fd of the destination, after checking it is still inside the rootfs. */
function onto(rootfs: string, dest: string, f: (fd: number) => void): void {
  const fd = libc.open(dest, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  try {
    const real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    if (!isSubpath(rootfs, real)) throw new MountError(`mount destination ${dest} moved outside the rootfs (${real})`);
    f(fd);
  } finally {
    libc.close(fd);
  }
}

/** Mounts onto an O_PATH fd of the destination, after checking it is still inside the rootfs. */
function mountOnto(rootfs: string, dest: string, source: string | null, type: string | null, flags: number, data: string | null): void {
  onto(rootfs, dest, (fd) => {
    try {
      libc.mount(source, `/proc/self/fd/${fd}`, type, flags, data);
    } catch (e) {
      // The kernel's ENODEV names neither the type nor the place: say which.
      if ((e as SysError).code === 'ENODEV') throw new Error(`mount: filesystem type "${type}" is not supported by this kernel`);
      throw e;
    }
  });
}

function remountFlags(op: BindMountOp | CgroupMountOp, flags: number, source: string): number {
  if (!op.preserveLockedFlags) return flags;
  return flags | (lockedFlagsFromStatvfs(libc.statvfsFlags(source)) & ~op.clearedFlags);
}

function describe(op: MountOp, e: unknown): MountError {
  const msg = e instanceof Error ? e.message : String(e);
  return new MountError(`mounts[${op.index}] (${op.destination}): ${msg}`);
}

function applyBind(rootfs: string, op: BindMountOp, idmapFds?: Record<number, number>, sourceFds?: Record<number, number>): void {
  // An ID-mapped mount was made by the runtime (idmap.ts): a detached, idmapped clone of the source to attach here.
  const idmapFd = op.idmap ? idmapFds?.[op.index] : undefined;
  if (op.idmap && idmapFd === undefined) throw new MountError('the ID-mapped mount was not prepared by the runtime');
  // In a user namespace the runtime opened the source as the host's root (mount-sources.ts).
  const srcFd = op.idmap ? undefined : sourceFds?.[op.index];
  const source = srcFd !== undefined ? `/proc/self/fd/${srcFd}` : op.source;
  try {
    let st: fs.Stats;
    try {
      st = idmapFd !== undefined ? fs.fstatSync(idmapFd) : srcFd !== undefined ? fs.fstatSync(srcFd) : fs.statSync(op.source);
    } catch {
      throw new MountError(`mount source ${op.source}: no such file or directory`);
    }
    const dest = guardedDestination(rootfs, op, null, source);
    if (st.isDirectory()) ensureDir(dest);
    else ensureFile(dest);
    if (idmapFd !== undefined) {
      onto(rootfs, dest, (destFd) => moveMount(idmapFd, '', destFd, '', MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH, dest));
    } else {
      mountOnto(rootfs, dest, source, null, MS_BIND | (op.recursive ? MS_REC : 0), null);
    }
    // The source's locked flags, from the mount itself where the source may be out of reach.
    if (op.remount !== null) libc.mount(null, dest, null, remountFlags(op, op.remount, source === op.source && idmapFd === undefined ? op.source : dest), null);
    finishMount(dest, op);
  } finally {
    if (idmapFd !== undefined) libc.close(idmapFd);
    if (srcFd !== undefined) libc.close(srcFd);
  }
}

function finishMount(dest: string, op: MountOp): void {
  for (const p of op.propagation) libc.mount(null, dest, null, p, null);
  if (op.recAttrSet || op.recAttrClr) libc.mountSetattr(-100, dest, 0x8000 /* AT_RECURSIVE */, op.recAttrSet, op.recAttrClr);
}

/** The mode of an existing directory (runc gives a tmpfs mounted over it that mode), else null. */
function priorDirMode(p: string): number | null {
  try {
    const st = fs.statSync(p);
    return st.isDirectory() ? st.mode & 0o7777 : null;
  } catch {
    return null;
  }
}

/** Read-only bind remounts made once every mount point and device exists (runc: /dev and tmpfs are mounted rw first). */
type Deferred = { fd: number; flags: number }[];

function applyFs(rootfs: string, op: FsMountOp, userns: boolean, deferred: Deferred): void {
  const dest = guardedDestination(rootfs, op, op.type, null);
  const prior = op.type === 'tmpfs' ? priorDirMode(dest) : null;
  ensureDir(dest);
  const covered = op.tmpcopyup ? openCovered(dest) : null;
  const later = (op.type === 'tmpfs' || op.destination === '/dev') && (op.flags & MS_RDONLY) !== 0;
  const flags = later ? op.flags & ~MS_RDONLY : op.flags;
  try {
    mountOnto(rootfs, dest, op.source, op.type, flags, op.data || null);
  } catch (e) {
    // sysfs needs a network namespace owned by the container's user namespace; else bind the host's.
    if (op.type !== 'sysfs' || !userns || (e as SysError).code !== 'EPERM') throw e;
    mountOnto(rootfs, dest, '/sys', null, MS_BIND | MS_REC, null);
    const locked = lockedFlagsFromStatvfs(libc.statvfsFlags('/sys'));
    libc.mount(null, dest, null, MS_BIND | MS_REMOUNT | MS_REC | op.flags | locked, null);
  }
  if (covered !== null) copyUp(covered, dest);
  if (prior !== null) fs.chmodSync(dest, prior);
  finishMount(dest, op);
  if (later) deferred.push({ fd: libc.open(dest, O_PATH | O_CLOEXEC | O_NOFOLLOW), flags: op.flags | MS_BIND | MS_REMOUNT });
}

function remountDeferred(deferred: Deferred): void {
  for (const d of deferred) libc.mount(null, `/proc/self/fd/${d.fd}`, null, d.flags, null);
}

/** cgroup mounts, shaped as runc's (cgroup-mount.ts). */
function applyCgroup(rootfs: string, op: CgroupMountOp, cgroupNs: boolean): void {
  const dest = guardedDestination(rootfs, op, op.type, null);
  ensureDir(dest);
  // The host's hierarchies under /sys/fs/cgroup only: not the copies an earlier bind of /sys made
  // inside the rootfs (this tmpfs hides them), nor cgroup mounts elsewhere (CRIU's cgroup yard).
  const hierarchies = hostCgroupHierarchies().filter((h) => isSubpath('/sys/fs/cgroup', h.mountpoint) && !isSubpath(rootfs, h.mountpoint));
  const steps = planCgroupMount(op, { hierarchies, selfCgroup: fs.readFileSync('/proc/self/cgroup', 'utf8'), cgroupNs });
  for (const step of steps) {
    const at = step.name ? path.join(dest, step.name) : dest;
    if (step.kind === 'symlink') {
      if (!isSymlink(at) && !fs.existsSync(at)) fs.symlinkSync(step.target, at);
      continue;
    }
    const prior = step.kind === 'tmpfs' ? priorDirMode(at) : null;
    ensureDir(at);
    if (step.kind === 'tmpfs') mountOnto(rootfs, at, 'tmpfs', 'tmpfs', step.flags, step.data);
    else if (step.kind === 'bind') cgroupBind(rootfs, op, at, step);
    else {
      try {
        mountOnto(rootfs, at, step.source, step.fstype, step.flags, step.data);
      } catch (e) {
        const code = (e as SysError).code;
        if (!step.fallback || (code !== 'EPERM' && code !== 'EBUSY')) throw e;
        cgroupBind(rootfs, op, at, step.fallback);
      }
    }
    if (prior !== null) fs.chmodSync(at, prior);
    for (const p of op.propagation) libc.mount(null, at, null, p, null);
  }
}

function cgroupBind(rootfs: string, op: CgroupMountOp, at: string, step: CgroupStep & { kind: 'bind' }): void {
  mountOnto(rootfs, at, step.source, null, MS_BIND | MS_REC, null);
  if (step.remount !== null) libc.mount(null, at, null, remountFlags(op, step.remount, step.source), null);
}

function createDevice(rootfs: string, d: DeviceNodePlan): void {
  const dest = resolveInRootfs(rootfs, d.path);
  ensureDir(path.dirname(dest));
  if (d.method === 'bind') {
    ensureFile(dest);
    mountOnto(rootfs, dest, d.path, null, MS_BIND, null);
    return;
  }
  try { fs.unlinkSync(dest); } catch { /* not there */ }
  libc.mknod(dest, d.mode, makedev(d.major, d.minor));
  libc.chown(dest, d.uid, d.gid);
}

function setupDev(plan: InitPlan, ops: MountOp[]): void {
  const rootfs = plan.rootfs;
  const userns = inUserNs(plan);
  const devIsHostBind = ops.some((o) => o.kind === 'bind' && o.destination === '/dev');
  const devices = planDevices(plan.spec.linux?.devices, { userns });
  const configured = new Set((plan.spec.linux?.devices ?? []).map((d) => path.posix.normalize(d.path)));
  for (const d of devices) {
    if (devIsHostBind && !configured.has(d.path)) continue;
    createDevice(rootfs, d);
  }
  if (devIsHostBind) return;
  const links = [...defaultDevSymlinks({ procKcoreExists: fs.existsSync('/proc/kcore') }), PTMX_SYMLINK];
  for (const l of links) {
    // The link's own path: a link left there (by an earlier run, or the image) is not followed.
    const dest = path.join(resolveInRootfs(rootfs, path.posix.dirname(l.path)), path.posix.basename(l.path));
    if (l === PTMX_SYMLINK) { try { fs.unlinkSync(dest); } catch { /* absent */ } }
    if (!fs.existsSync(dest) && !isSymlink(dest)) fs.symlinkSync(l.target, dest);
  }
}

function isSymlink(p: string): boolean {
  try { return fs.lstatSync(p).isSymbolicLink(); } catch { return false; }
}

/**
 * Does the init run in a user namespace, its own or the runtime's (rootless podman runs the
 * runtime as root of one)? Then devices are bind-mounted and locked mount flags kept.
 */
function inUserNs(plan: InitPlan): boolean {
  return plan.namespaces.has('user') !== 'none' || plan.rootless;
}

export function setupRootfs(plan: InitPlan): void {
  const rootfs = plan.rootfs;
  const userns = inUserNs(plan);
  libc.mount(null, '/', null, planRootPropagation(plan.spec.linux?.rootfsPropagation).before, null);
  // pivot_root refuses a shared parent (or root) mount; the rootfs bound from a private one is private.
  const here = parseMountInfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  for (const mp of mountsToPrivatize(here, fs.realpathSync(rootfs))) libc.mount(null, mp, null, MS_PRIVATE, null);
  libc.mount(rootfs, rootfs, null, MS_BIND | MS_REC, null);
  const ops = planMounts(plan.spec.mounts, { rootfs, userns, bundle: plan.bundle });
  const oldUmask = libc.umask(0);
  const deferred: Deferred = [];
  try {
    for (const op of ops) {
      try {
        if (op.kind === 'bind') applyBind(rootfs, op, plan.idmapFds, plan.mountSourceFds);
        else if (op.kind === 'cgroup') applyCgroup(rootfs, op, plan.namespaces.has('cgroup') !== 'none');
        else applyFs(rootfs, op, userns, deferred);
      } catch (e) {
        throw describe(op, e);
      }
    }
    setupDev(plan, ops);
    remountDeferred(deferred);
  } finally {
    libc.umask(oldUmask);
    for (const d of deferred) libc.close(d.fd);
  }
}

export function enterRootfs(plan: InitPlan): void {
  const rootfs = plan.rootfs;
  if (plan.noPivot) {
    hideHostProcSys(rootfs);
    libc.chdir(rootfs);
    libc.mount(rootfs, '/', null, MS_MOVE, null);
    libc.chroot('.');
    libc.chdir('/');
  } else {
    pivotInto(rootfs);
  }
}

function pivotInto(rootfs: string): void {
  const oldRoot = libc.open('/', O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  const newRoot = libc.open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  try {
    libc.fchdir(newRoot);
    libc.pivotRoot('.', '.');
    libc.fchdir(oldRoot);
    libc.mount(null, '.', null, MS_SLAVE | MS_REC, null);
    libc.umount2('.', MNT_DETACH);
    libc.chdir('/');
  } finally {
    libc.close(oldRoot);
    libc.close(newRoot);
  }
}

/**
 * The container's /dev/null, opened once and checked to be the null device
 * (char 1:3): masks are binds of it, and a /dev/null the image or another
 * container replaced with a link to a procfs file would turn a mask into a
 * writable bind of that file (CVE-2025-31133).
 */
function openDevNull(): number {
  let fd: number;
  try {
    fd = libc.open('/dev/null', O_PATH | O_CLOEXEC | O_NOFOLLOW);
  } catch (e) {
    throw new MountError(`linux.maskedPaths: masks are binds of /dev/null: ${(e as Error).message}`);
  }
  const st = fs.fstatSync(fd);
  if (!st.isCharacterDevice() || st.rdev !== Number(makedev(1, 3))) {
    libc.close(fd);
    throw new MountError('linux.maskedPaths: masks are binds of /dev/null, and /dev/null in the container is not the null device (char 1:3)');
  }
  return fd;
}

/** Binds what `fd` names onto `target` (no path of the source is looked up again). */
function bindFd(fd: number, target: string): void {
  const tree = openTree('', OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH, fd);
  try {
    moveMount(tree, '', -100 /* AT_FDCWD */, target, MOVE_MOUNT_F_EMPTY_PATH, target);
  } finally {
    libc.close(tree);
  }
}

/** After entering the rootfs: sysctl (while /proc/sys is writable), masked and read-only paths, then the read-only root. */
export function finishRootfs(plan: InitPlan): void {
  const linux = plan.spec.linux ?? {};
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    try {
      // No O_CREAT, no symlink followed at the end: only an existing procfs file is written.
      const fd = fs.openSync(sysctlPath(key), fs.constants.O_WRONLY | fs.constants.O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
      try { fs.writeSync(fd, value); } finally { fs.closeSync(fd); }
    } catch (e) {
      throw new Error(`linux.sysctl ${key}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such sysctl' : (e as Error).message}`);
    }
  }
  // Read-only paths before masks, as runc (a mask under a read-only path stays on top of it).
  for (const p of linux.readonlyPaths ?? []) {
    if (!fs.existsSync(p)) continue;
    libc.mount(p, p, null, MS_BIND | MS_REC, null);
    const flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | lockedFlagsFromStatvfs(libc.statvfsFlags(p));
    libc.mount(null, p, null, flags, null);
  }
  const masked = linux.maskedPaths ?? [];
  const devNull = masked.length > 0 ? openDevNull() : -1;
  try {
    for (const p of masked) {
      let st: fs.Stats;
      // Only a missing target is skipped (CVE-2025-31133: any other error must not leave the path unmasked).
      try { st = fs.statSync(p); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; throw e; }
      if (st.isDirectory()) libc.mount('tmpfs', p, 'tmpfs', MS_RDONLY, null);
      else bindFd(devNull, p);
    }
  } finally {
    if (devNull >= 0) libc.close(devNull);
  }
  if (plan.spec.root?.readonly) {
    libc.mount(null, '/', null, MS_BIND | MS_REMOUNT | MS_RDONLY | lockedFlagsFromStatvfs(libc.statvfsFlags('/')), null);
  }
  // Last: an unbindable root would refuse the bind mounts above.
  const after = planRootPropagation(linux.rootfsPropagation).after;
  if (after !== null) libc.mount(null, '/', null, after, null);
}
