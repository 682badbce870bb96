// Device nodes and /dev symlinks to create in the container: the runtime's default set
// merged with linux.devices from the config. Pure.

import type { Device } from '../spec/types';
import { cleanPath } from './paths';

// File-type bits (sys/stat.h).
export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFBLK = 0o060000;
export const S_IFREG = 0o100000;

export type DeviceType = Device['type'];

/** OCI device type → S_IF* bits ('u' is an unbuffered character device). */
export const DEVICE_TYPE_BITS: Readonly<Record<DeviceType, number>> = Object.freeze({
  c: S_IFCHR,
  u: S_IFCHR,
  b: S_IFBLK,
  p: S_IFIFO,
});

/** Permission bits used when a config device has no fileMode. */
export const DEFAULT_DEVICE_PERM = 0o666;

export interface DeviceNodePlan {
  /** Cleaned absolute container path. */
  path: string;
  type: DeviceType;
  major: number;
  minor: number;
  /** Full mode for mknod: S_IF* type bits | permission bits. */
  mode: number;
  uid: number;
  gid: number;
  /**
   * 'mknod': create the node; 'bind': bind-mount the host node at the same path over an
   * empty file (needed in a user namespace, where mknod of devices is not permitted).
   */
  method: 'mknod' | 'bind';
}

export interface DefaultDevice {
  path: string;
  type: 'c';
  major: number;
  minor: number;
  perm: number;
}

/** Devices every container gets (besides /dev/console and /dev/ptmx, handled elsewhere). */
export const DEFAULT_DEVICES: readonly DefaultDevice[] = Object.freeze([
  // runc's order (visible as the order of bind mounts in a user namespace).
  { path: '/dev/null', type: 'c', major: 1, minor: 3, perm: 0o666 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, perm: 0o666 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, perm: 0o666 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, perm: 0o666 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, perm: 0o666 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, perm: 0o666 },
] as DefaultDevice[]);

export interface DevSymlink {
  /** Container path of the link. */
  path: string;
  /** Link target (stored verbatim). */
  target: string;
}

/** The standard /dev symlinks. /dev/core is included only when the host has /proc/kcore. */
export function defaultDevSymlinks(opts: { procKcoreExists: boolean }): DevSymlink[] {
  const links: DevSymlink[] = [
    { path: '/dev/fd', target: '/proc/self/fd' },
    { path: '/dev/stdin', target: '/proc/self/fd/0' },
    { path: '/dev/stdout', target: '/proc/self/fd/1' },
    { path: '/dev/stderr', target: '/proc/self/fd/2' },
  ];
  if (opts.procKcoreExists) links.push({ path: '/dev/core', target: '/proc/kcore' });
  return links;
}

/** The /dev/ptmx symlink into the container's devpts instance. */
export const PTMX_SYMLINK: DevSymlink = Object.freeze({ path: '/dev/ptmx', target: 'pts/ptmx' });

/** Creation method for a device type given the namespace setup. FIFOs never need privilege. */
export function deviceMethod(type: DeviceType, userns: boolean): 'mknod' | 'bind' {
  return userns && type !== 'p' ? 'bind' : 'mknod';
}

/** Linux dev_t encoding (new_encode_dev / makedev with 64-bit dev_t, glibc layout). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

function checkId(v: unknown, where: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new Error(`${where}: expected an integer in 0..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function planConfigDevice(d: Device, i: number, userns: boolean): DeviceNodePlan {
  const base = `/linux/devices/${i}`;
  if (d === null || typeof d !== 'object') throw new Error(`${base}: expected an object`);
  if (typeof d.path !== 'string' || !d.path.startsWith('/')) {
    throw new Error(`${base}/path: device path must be absolute, got ${JSON.stringify(d.path)}`);
  }
  const path = cleanPath(d.path);
  if (path === '/' || path === '/dev') throw new Error(`${base}/path: "${d.path}" is not a valid device path`);
  if (!Object.prototype.hasOwnProperty.call(DEVICE_TYPE_BITS, d.type)) {
    throw new Error(`${base}/type: unknown device type ${JSON.stringify(d.type)} (expected c, b, u or p)`);
  }
  let major = 0;
  let minor = 0;
  if (d.type === 'p') {
    if (d.major !== undefined) major = checkId(d.major, `${base}/major`, 0xffffffff);
    if (d.minor !== undefined) minor = checkId(d.minor, `${base}/minor`, 0xffffffff);
  } else {
    if (d.major === undefined) throw new Error(`${base}/major: required for device type "${d.type}"`);
    if (d.minor === undefined) throw new Error(`${base}/minor: required for device type "${d.type}"`);
    major = checkId(d.major, `${base}/major`, 0xffffffff);
    minor = checkId(d.minor, `${base}/minor`, 0xffffffff);
  }
  let perm = DEFAULT_DEVICE_PERM;
  if (d.fileMode !== undefined) {
    perm = checkId(d.fileMode, `${base}/fileMode`, 0o177777) & ~S_IFMT;
  }
  const uid = d.uid === undefined ? 0 : checkId(d.uid, `${base}/uid`, 0xffffffff);
  const gid = d.gid === undefined ? 0 : checkId(d.gid, `${base}/gid`, 0xffffffff);
  return {
    path,
    type: d.type,
    major,
    minor,
    mode: DEVICE_TYPE_BITS[d.type] | perm,
    uid,
    gid,
    method: deviceMethod(d.type, userns),
  };
}

/**
 * Defaults first (in DEFAULT_DEVICES order) except those the config lists, then config
 * devices in config order (as runc); a later config device with the same path as an
 * earlier one replaces it in place. Errors name `/linux/devices/N/...`.
 */
export function planDevices(linuxDevices: readonly Device[] | undefined, opts: { userns: boolean }): DeviceNodePlan[] {
  const configured: DeviceNodePlan[] = [];
  const byPath = new Map<string, number>();
  (linuxDevices ?? []).forEach((d, i) => {
    const plan = planConfigDevice(d, i, opts.userns);
    const at = byPath.get(plan.path);
    if (at !== undefined) configured[at] = plan;
    else {
      byPath.set(plan.path, configured.length);
      configured.push(plan);
    }
  });
  const defaults: DeviceNodePlan[] = DEFAULT_DEVICES.filter((d) => !byPath.has(d.path)).map((d) => ({
    path: d.path,
    type: d.type,
    major: d.major,
    minor: d.minor,
    mode: DEVICE_TYPE_BITS[d.type] | d.perm,
    uid: 0,
    gid: 0,
    method: deviceMethod(d.type, opts.userns),
  }));
  return [...defaults, ...configured];
}
