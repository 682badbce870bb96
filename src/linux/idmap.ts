// ID-mapped bind mounts: options idmap/ridmap, mount uidMappings/gidMappings.
//
// The kernel lets only a process privileged over the source filesystem's user
// namespace (the host's) idmap a mount, and only a mount not yet attached
// anywhere. So the runtime makes them before it forks the init: a detached
// clone of each source (open_tree), idmapped (mount_setattr MOUNT_ATTR_IDMAP)
// with a user namespace carrying the mapping. The init inherits those fds and
// attaches them inside its own mount namespace with move_mount (rootfs.ts),
// also when it runs in a new user namespace of its own.
//
// A mount mapping is written to the helper namespace's uid_map as is
// ("containerID hostID size"): a file owned by containerID on the source
// filesystem appears owned by hostID through the mount (runtime-spec, crun, runc).
import * as fs from 'node:fs';
import * as libc from '../sys/libc';
import {
  openTree, mountSetattrFd, OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC, AT_RECURSIVE, MOUNT_ATTR_IDMAP,
} from '../sys/mount-api';
import type { IdMapping, Mount } from '../spec/types';
import type { InitPlan } from '../runtime/init-plan';
import { planMounts, type MountOp } from './mount-plan';
import { parseMountOptions, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE } from './mount-options';
import { CLONE_NEWUSER } from './namespaces';

const O_RDONLY = 0, O_CLOEXEC = 0x80000;
const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;
/** The kernel's limit on lines in uid_map / gid_map. */
export const MAX_MAP_LINES = 340;

/** Where the user namespace carrying a mount's mapping comes from. */
export type UsernsSource =
  | { kind: 'maps'; uidMap: string; gidMap: string; uidWhere: string; gidWhere: string }
  | { kind: 'path'; path: string };

export interface IdmapRequest {
  /** Index in the config mounts[] array. */
  index: number;
  destination: string;
  source: string;
  /** rbind: clone the whole tree (open_tree AT_RECURSIVE). */
  cloneRecursive: boolean;
  /** ridmap: idmap every mount of the clone (mount_setattr AT_RECURSIVE). */
  idmapRecursive: boolean;
  /**
   * Propagation type for the whole clone (MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE; 0 keeps the
   * source's), as linux.rootfsPropagation gives every other mount: a clone of a shared host
   * mount is its peer, and mounts made under it in the container would show on the host.
   */
  propagation: number;
  userns: UsernsSource;
}

/** The container's own user namespace, for idmap mounts without mappings of their own. */
export interface ContainerUserns {
  mode: 'new' | 'join' | 'none';
  /** Path of the joined user namespace (mode 'join'). */
  path?: string;
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
}

/** uid_map / gid_map text for mappings; `where` names them in errors. */
export function mappingLines(maps: IdMapping[], where: string): string {
  if (maps.length === 0) throw new Error(`${where}: no mappings`);
  if (maps.length > MAX_MAP_LINES) throw new Error(`${where}: ${maps.length} mappings, the kernel takes at most ${MAX_MAP_LINES}`);
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** The idmapped mounts to prepare, from the planned mounts (pure). */
export function planIdmapRequests(ops: readonly MountOp[], container: ContainerUserns, rootfsPropagation?: string): IdmapRequest[] {
  const propagation = clonePropagation(rootfsPropagation);
  const out: IdmapRequest[] = [];
  for (const op of ops) {
    if (op.kind !== 'bind' || !op.idmap) continue;
    const base = `/mounts/${op.index}`;
    let userns: UsernsSource;
    if (op.idmap.uidMappings && op.idmap.gidMappings) {
      userns = {
        kind: 'maps',
        uidMap: mappingLines(op.idmap.uidMappings, `${base}/uidMappings`),
        gidMap: mappingLines(op.idmap.gidMappings, `${base}/gidMappings`),
        uidWhere: `${base}/uidMappings`,
        gidWhere: `${base}/gidMappings`,
      };
    } else if (container.mode === 'join' && container.path) {
      userns = { kind: 'path', path: container.path };
    } else if (container.mode === 'new') {
      userns = {
        kind: 'maps',
        uidMap: mappingLines(container.uidMappings, '/linux/uidMappings'),
        gidMap: mappingLines(container.gidMappings, '/linux/gidMappings'),
        uidWhere: '/linux/uidMappings',
        gidWhere: '/linux/gidMappings',
      };
    } else {
      throw new Error(`${base}/options: idmap/ridmap without uidMappings/gidMappings needs the container's user namespace, and it has none`);
    }
    out.push({
      index: op.index, destination: op.destination, source: op.source,
      cloneRecursive: op.recursive, idmapRecursive: op.idmap.recursive, propagation, userns,
    });
  }
  return out;
}

/** The propagation type a clone gets from linux.rootfsPropagation (default rslave); 0 for shared. */
export function clonePropagation(rootfsPropagation?: string): number {
  const p = rootfsPropagation ? parseMountOptions([rootfsPropagation]).propagation[0] ?? MS_SLAVE : MS_SLAVE;
  return p & (MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE);
}

/** A key shared by requests that can use the same user namespace. */
function usernsKey(u: UsernsSource): string {
  return u.kind === 'path' ? `path:${u.path}` : `maps:${u.uidMap}|${u.gidMap}`;
}

/**
 * A new user namespace carrying the mappings: a forked helper unshares it, the
 * runtime writes its maps and opens /proc/PID/ns/user, the helper is killed.
 */
function usernsWithMaps(u: UsernsSource & { kind: 'maps' }): number {
  const [mine, theirs] = libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  let pid: number;
  try {
    pid = libc.forkProcess();
  } catch (e) {
    libc.close(mine);
    libc.close(theirs);
    throw e;
  }
  if (pid === 0) {
    // The helper: synchronous, ends in _exit (shared notes/process-model.md).
    try {
      libc.close(mine);
      libc.unshare(CLONE_NEWUSER);
      libc.write(theirs, Buffer.from('ok'));
      libc.read(theirs, Buffer.alloc(1)); // until the runtime closes its end
    } catch (e) {
      try { libc.write(theirs, Buffer.from(e instanceof Error ? e.message : String(e))); } catch { /* runtime gone */ }
    }
    libc.exit_(0);
  }
  libc.close(theirs);
  try {
    const buf = Buffer.alloc(512);
    const n = libc.read(mine, buf);
    const said = buf.subarray(0, n).toString();
    if (said !== 'ok') throw new Error(`a user namespace for the mapping: ${said || 'the helper process exited'}`);
    for (const [file, text, where] of [['uid_map', u.uidMap, u.uidWhere], ['gid_map', u.gidMap, u.gidWhere]]) {
      try {
        fs.writeFileSync(`/proc/${pid}/${file}`, text);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === 'EINVAL' ? 'the kernel refused the mapping (overlapping ranges, or beyond 4294967295?)' : (e as Error).message;
        throw new Error(`${where}: ${why}`);
      }
    }
    return libc.open(`/proc/${pid}/ns/user`, O_RDONLY | O_CLOEXEC);
  } finally {
    libc.close(mine);
    try { libc.kill(pid, 9); } catch { /* gone */ }
    try { libc.waitpid(pid, 0); } catch { /* reaped */ }
  }
}

function openUserns(u: UsernsSource): number {
  if (u.kind === 'path') return libc.open(u.path, O_RDONLY | O_CLOEXEC);
  return usernsWithMaps(u);
}

/** A detached, idmapped clone of the request's source; returns its fd. */
function idmappedClone(r: IdmapRequest, usernsFd: number): number {
  const fd = openTree(r.source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (r.cloneRecursive ? AT_RECURSIVE : 0));
  try {
    if (r.propagation) mountSetattrFd(fd, AT_RECURSIVE, 0, 0, r.propagation, 0, r.source);
    mountSetattrFd(fd, r.idmapRecursive ? AT_RECURSIVE : 0, MOUNT_ATTR_IDMAP, 0, 0, usernsFd, r.source);
  } catch (e) {
    libc.close(fd);
    const code = (e as { code?: string }).code;
    const hint = code === 'EINVAL' ? ` (the filesystem of ${r.source}${r.idmapRecursive ? ' or of a mount under it' : ''} probably does not support ID-mapped mounts)` : '';
    throw new Error(`${(e as Error).message}${hint}`);
  }
  return fd;
}

/** The prepared mounts: config mounts[] index → detached mount fd. */
export interface IdmapMounts {
  fds: Record<number, number>;
  /** Closes every fd (the runtime's copies, once the init is forked; or on failure). */
  close(): void;
}

/** Prepares every ID-mapped mount of `requests`; on failure nothing stays open. */
export function prepareIdmapMounts(requests: readonly IdmapRequest[]): IdmapMounts {
  const fds: Record<number, number> = {};
  const userns = new Map<string, number>();
  const close = () => {
    for (const fd of Object.values(fds)) libc.close(fd);
    for (const fd of userns.values()) libc.close(fd);
    userns.clear();
    for (const k of Object.keys(fds)) delete fds[Number(k)];
  };
  try {
    for (const r of requests) {
      try {
        const key = usernsKey(r.userns);
        let nsFd = userns.get(key);
        if (nsFd === undefined) {
          nsFd = openUserns(r.userns);
          userns.set(key, nsFd);
        }
        fds[r.index] = idmappedClone(r, nsFd);
      } catch (e) {
        throw new Error(`mounts[${r.index}] (${r.destination}): ID-mapped mount of ${r.source}: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    close();
    throw e;
  }
  // The user namespaces are only needed while the mounts are made.
  for (const fd of userns.values()) libc.close(fd);
  userns.clear();
  return { fds, close };
}

/**
 * The runtime's step before it forks the init: prepares the container's ID-mapped
 * mounts (only a new mount namespace gets the config's mounts) and hands their fds
 * to the init through plan.idmapFds. Returns undefined when there are none.
 */
export function prepareInitIdmaps(plan: InitPlan): IdmapMounts | undefined {
  const ns = plan.namespaces;
  if (ns.has('mount') !== 'new' || !(plan.spec.mounts ?? []).some(mayIdmap)) return undefined;
  let ops: MountOp[];
  try {
    ops = planMounts(plan.spec.mounts, { rootfs: plan.rootfs, userns: ns.has('user') !== 'none', bundle: plan.bundle });
  } catch (e) {
    throw new Error(`config.json: ${(e as Error).message}`);
  }
  const requests = planIdmapRequests(ops, {
    mode: ns.has('user'),
    path: ns.join.find((j) => j.kind.type === 'user')?.path,
    uidMappings: plan.uidMappings,
    gidMappings: plan.gidMappings,
  }, plan.spec.linux?.rootfsPropagation);
  if (requests.length === 0) return undefined;
  const prepared = prepareIdmapMounts(requests);
  plan.idmapFds = prepared.fds;
  return prepared;
}

function mayIdmap(m: Mount): boolean {
  return m?.uidMappings !== undefined || m?.gidMappings !== undefined || (Array.isArray(m?.options) && m.options.some((o) => o === 'idmap' || o === 'ridmap'));
}
