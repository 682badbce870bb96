// Turn the OCI mounts[] list into typed mount operations, in order. Pure: no file-system
// access; destination resolution inside the rootfs (paths.ts) and source stats happen
// when the plan is applied.

import type { IdMapping, Mount } from '../spec/types';
import { cleanPath } from './paths';
import {
  MS_BIND,
  MS_REC,
  MS_REMOUNT,
  MS_RDONLY,
  parseMountOptions,
  type ParsedMountOptions,
} from './mount-options';

export interface PlanMountsOptions {
  /** Host path of the container rootfs (kept for the apply step / messages). */
  rootfs: string;
  /** The container gets a new user namespace. */
  userns: boolean;
  /** Absolute host path of the bundle; relative bind sources are resolved against it. */
  bundle: string;
  /** Receives non-fatal remarks (e.g. relative destinations). */
  onWarning?: (msg: string) => void;
}

interface MountOpBase {
  /** Index in the config mounts[] array. */
  index: number;
  /** Cleaned, absolute container path (resolve inside the rootfs at apply time). */
  destination: string;
  /** MS_* flags for the first mount(2) call (binds include MS_BIND and, for rbind, MS_REC). */
  flags: number;
  /** MS_* flags explicitly cleared by options (rw, suid, dev, exec, ...). */
  clearedFlags: number;
  /** Filesystem data (unknown option words, comma-joined). Ignored by the kernel for binds. */
  data: string;
  /** Propagation changes to apply afterwards, in order (MS_PRIVATE|MS_REC, ...). */
  propagation: number[];
  /** mount_setattr(AT_RECURSIVE) attributes to apply afterwards (both 0: nothing to do). */
  recAttrSet: number;
  recAttrClr: number;
  /** Whether the destination must be created as a file (true), a dir (false), or like the source. */
  destIsFile: boolean | 'from-source';
}

export interface IdmapPlan {
  /** ridmap: map the whole subtree (open_tree with AT_RECURSIVE). */
  recursive: boolean;
  /** Mount-specific mappings; absent means use the container's user namespace mappings. */
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
}

export interface BindMountOp extends MountOpBase {
  kind: 'bind';
  /** Absolute host source path (relative config sources resolved against the bundle). */
  source: string;
  /** rbind: MS_REC on the bind. */
  recursive: boolean;
  /**
   * Flags for the second step, mount(NULL, dest, NULL, remount, NULL), needed because a bind
   * ignores ro/nosuid/nodev/noexec/atime flags; null when no flag beyond MS_BIND/MS_REC was asked.
   */
  remount: number | null;
  /**
   * In a user namespace the kernel refuses to drop flags that are locked on the source mount
   * (nosuid, nodev, noexec, atime, ro): the apply step must OR the source's current flags
   * (statfs) into `remount`, except those explicitly cleared.
   */
  preserveLockedFlags: boolean;
  /** ID-mapped bind mount (idmap/ridmap option or mount uidMappings/gidMappings). */
  idmap?: IdmapPlan;
}

export interface FsMountOp extends MountOpBase {
  kind: 'mount';
  /** Filesystem type: tmpfs, proc, sysfs, devpts, mqueue, overlay, ... */
  type: string;
  /** Source/device string (config source, or the type name when absent). */
  source: string;
  /** tmpcopyup extension (tmpfs only): copy the underlying directory's contents into the new tmpfs. */
  tmpcopyup?: boolean;
}

export interface CgroupMountOp extends MountOpBase {
  kind: 'cgroup';
  /** 'cgroup' or 'cgroup2' as written in the config. */
  type: string;
  source: string;
  /** MS_RDONLY was requested. */
  readonly: boolean;
  /** Same meaning as on BindMountOp, for a bind-mount fallback of the host cgroup tree. */
  preserveLockedFlags: boolean;
}

export type MountOp = BindMountOp | FsMountOp | CgroupMountOp;

/** Mount types handled by the cgroup-specific code path. */
export const CGROUP_MOUNT_TYPES: readonly string[] = ['cgroup', 'cgroup2'];

function isBind(m: Mount, parsed: ParsedMountOptions): boolean {
  return m.type === 'bind' || (parsed.flags & MS_BIND) !== 0;
}

function checkMappings(list: IdMapping[] | undefined, where: string): void {
  if (list === undefined) return;
  if (!Array.isArray(list) || list.length === 0) throw new Error(`${where}: must be a non-empty list of mappings`);
  list.forEach((m, i) => {
    for (const k of ['containerID', 'hostID', 'size'] as const) {
      const v = m?.[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw new Error(`${where}/${i}/${k}: expected an unsigned 32-bit integer`);
      }
    }
    if (m.size === 0) throw new Error(`${where}/${i}/size: must be greater than 0`);
  });
}

function planOne(m: Mount, index: number, opts: PlanMountsOptions): MountOp {
  const base = `/mounts/${index}`;
  if (m === null || typeof m !== 'object') throw new Error(`${base}: expected an object`);
  if (typeof m.destination !== 'string' || m.destination === '') {
    throw new Error(`${base}/destination: mount destination is required`);
  }
  if (m.options !== undefined && (!Array.isArray(m.options) || m.options.some((o) => typeof o !== 'string'))) {
    throw new Error(`${base}/options: must be a list of strings`);
  }
  if (!m.destination.startsWith('/')) {
    opts.onWarning?.(`${base}/destination: "${m.destination}" is not absolute; treating it as relative to /`);
  }
  const destination = cleanPath('/' + m.destination);
  const parsed = parseMountOptions(m.options);
  const common = {
    index,
    destination,
    clearedFlags: parsed.clearedFlags,
    data: parsed.data,
    propagation: parsed.propagation,
    recAttrSet: parsed.recAttrSet,
    recAttrClr: parsed.recAttrClr,
  };

  checkMappings(m.uidMappings, `${base}/uidMappings`);
  checkMappings(m.gidMappings, `${base}/gidMappings`);
  if ((m.uidMappings === undefined) !== (m.gidMappings === undefined)) {
    const missing = m.uidMappings === undefined ? 'uidMappings' : 'gidMappings';
    throw new Error(`${base}/${missing}: uidMappings and gidMappings must be given together`);
  }
  const wantsIdmap = parsed.idmap === true || m.uidMappings !== undefined;

  if (isBind(m, parsed)) {
    if (typeof m.source !== 'string' || m.source === '') {
      throw new Error(`${base}/source: bind mount requires a source`);
    }
    if (parsed.tmpcopyup) throw new Error(`${base}/options: tmpcopyup is only supported on tmpfs mounts`);
    const source = m.source.startsWith('/') ? cleanPath(m.source) : cleanPath(`${opts.bundle}/${m.source}`);
    const recursive = (parsed.flags & MS_REC) !== 0;
    const flags = parsed.flags | MS_BIND;
    const extra = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    const remount = extra !== 0 ? (flags & ~MS_REC) | MS_REMOUNT | MS_BIND : null;
    const op: BindMountOp = {
      kind: 'bind',
      ...common,
      flags,
      destIsFile: 'from-source',
      source,
      recursive,
      remount,
      preserveLockedFlags: opts.userns,
    };
    if (wantsIdmap) {
      if (m.uidMappings === undefined && !opts.userns) {
        throw new Error(`${base}/options: idmap/ridmap without uidMappings/gidMappings takes the container's user namespace mappings, but the container has no user namespace`);
      }
      op.idmap = { recursive: parsed.idmapRecursive === true };
      if (m.uidMappings) op.idmap.uidMappings = m.uidMappings;
      if (m.gidMappings) op.idmap.gidMappings = m.gidMappings;
    }
    return op;
  }

  if (typeof m.type !== 'string' || m.type === '') {
    throw new Error(`${base}/type: mount type is required unless the mount is a bind mount`);
  }
  if (wantsIdmap) {
    const what = parsed.idmap ? 'options: idmap/ridmap' : 'uidMappings: ID-mapped mounts';
    throw new Error(`${base}/${what} are only supported on bind mounts`);
  }
  const source = typeof m.source === 'string' && m.source !== '' ? m.source : m.type;

  if (CGROUP_MOUNT_TYPES.includes(m.type)) {
    if (parsed.tmpcopyup) throw new Error(`${base}/options: tmpcopyup is only supported on tmpfs mounts`);
    return {
      kind: 'cgroup',
      ...common,
      flags: parsed.flags,
      destIsFile: false,
      type: m.type,
      source,
      readonly: (parsed.flags & MS_RDONLY) !== 0,
      preserveLockedFlags: opts.userns,
    };
  }

  if (parsed.tmpcopyup && m.type !== 'tmpfs') {
    throw new Error(`${base}/options: tmpcopyup is only supported on tmpfs mounts`);
  }
  const op: FsMountOp = { kind: 'mount', ...common, flags: parsed.flags, destIsFile: false, type: m.type, source };
  if (parsed.tmpcopyup) op.tmpcopyup = true;
  return op;
}

/** Plan every mount in config order. Throws with a `/mounts/N/...` location on invalid entries. */
export function planMounts(mounts: readonly Mount[] | undefined, opts: PlanMountsOptions): MountOp[] {
  return (mounts ?? []).map((m, i) => planOne(m, i, opts));
}
