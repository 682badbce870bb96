// A mount of type cgroup/cgroup2 (usually /sys/fs/cgroup), shaped as runc shapes it.
//
// cgroup v1 (and hybrid) hosts: a tmpfs (rw, nosuid,nodev,noexec, mode=755) with
// one entry per v1 hierarchy, named as the host's mount point (cpu,cpuacct,
// systemd, ...): without a cgroup namespace a bind of the container's own cgroup
// in that hierarchy, remounted with the config's flags (read-only unless the
// config says rw, as privileged configs do); with one, a new cgroup mount of the
// hierarchy. Co-mounted controllers get symlinks (cpu -> cpu,cpuacct). The
// hybrid host's cgroup2 ("unified") is not shown, as in runc.
// cgroup v2 hosts, or a mount of type cgroup2: a cgroup2 mount with the config's
// flags; where the kernel refuses it (a user namespace without its own cgroup
// namespace) a bind of the host's hierarchy instead.
import * as path from 'node:path';
import type { CgroupMountOp } from './mount-plan';
import type { CgroupHierarchy } from './mount-info';
import { ownCgroupPath } from './mount-info';
import { MS_BIND, MS_REC, MS_REMOUNT, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC } from './mount-options';

const FIXED = MS_NOSUID | MS_NODEV | MS_NOEXEC;

export type CgroupStep =
  /** `name`: below the mount's destination ('' for the destination itself). */
  | { kind: 'tmpfs'; name: string; flags: number; data: string }
  /** A bind of host path `source`; then, when remount is not null, mount(NULL, dest, NULL, remount). */
  | { kind: 'bind'; name: string; source: string; remount: number | null }
  /** A new cgroup/cgroup2 mount; on EPERM/EBUSY, `fallback` (a bind step) instead, when given. */
  | { kind: 'fs'; name: string; source: string; fstype: 'cgroup' | 'cgroup2'; flags: number; data: string | null; fallback?: CgroupStep & { kind: 'bind' } }
  | { kind: 'symlink'; name: string; target: string };

export interface CgroupMountContext {
  /** The host's cgroup hierarchies (mount-info.ts), without copies inside the rootfs. */
  hierarchies: readonly CgroupHierarchy[];
  /** /proc/self/cgroup of the init (already in the container's cgroups). */
  selfCgroup: string;
  /** The container has its own cgroup namespace. */
  cgroupNs: boolean;
}

/** The host path of the process's own cgroup in hierarchy h (relative to the mount's root, as runc). */
export function ownCgroupDir(h: CgroupHierarchy, selfCgroup: string): string {
  const own = ownCgroupPath(h, selfCgroup);
  const rel = path.posix.relative(h.root ?? '/', own);
  return rel.startsWith('..') ? h.mountpoint : path.posix.join(h.mountpoint, rel);
}

function bindStep(name: string, source: string, op: CgroupMountOp, flags: number): CgroupStep & { kind: 'bind' } {
  // A bind ignores every flag but MS_REC: the rest needs a remount (runc does it when any is set).
  const extra = flags & ~(MS_BIND | MS_REC);
  return { kind: 'bind', name, source, remount: extra ? extra | MS_BIND | MS_REMOUNT : null };
}

export function planCgroupMount(op: CgroupMountOp, ctx: CgroupMountContext): CgroupStep[] {
  const v1 = ctx.hierarchies.filter((h) => h.fstype === 'cgroup');
  if (op.type === 'cgroup2' || v1.length === 0) {
    const unified = ctx.hierarchies.find((h) => h.fstype === 'cgroup2');
    const source = unified ? (ctx.cgroupNs ? ownCgroupDir(unified, ctx.selfCgroup) : unified.mountpoint) : '/sys/fs/cgroup';
    // The config's source names the mount, as runc mounts it (mountinfo shows "cgroup2 cgroup").
    return [{ kind: 'fs', name: '', source: op.source || 'cgroup2', fstype: 'cgroup2', flags: op.flags, data: null, fallback: bindStep('', source, op, op.flags) }];
  }
  const steps: CgroupStep[] = [{ kind: 'tmpfs', name: '', flags: FIXED, data: 'mode=755' }];
  for (const h of v1) {
    const name = path.posix.basename(h.mountpoint);
    const bind = bindStep(name, ownCgroupDir(h, ctx.selfCgroup), op, op.flags);
    if (ctx.cgroupNs) {
      const named = h.options.startsWith('none,name=');
      steps.push({
        kind: 'fs', name, fstype: 'cgroup', source: named && name === 'systemd' ? 'systemd' : 'cgroup',
        flags: FIXED | (op.flags & MS_RDONLY), data: named ? h.options.slice('none,'.length) : h.options,
        // cgroup v1 cannot be mounted in a user namespace: the container's own cgroup instead.
        fallback: bind,
      });
    } else {
      steps.push(bind);
    }
    if (name.includes(',')) {
      for (const alias of name.split(',')) steps.push({ kind: 'symlink', name: alias, target: name });
    }
  }
  return steps;
}
