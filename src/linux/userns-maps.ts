// How the runtime writes a new user namespace's uid_map/gid_map (pure plan).
// Privileged (the host's root, or root of the user namespace ocits runs in):
// written directly. Unprivileged: the kernel lets a process map only its own
// uid/gid, once, size 1 (and gid_map only after "deny" in setgroups); any other
// mapping goes through the setuid helpers newuidmap/newgidmap, which check it
// against /etc/subuid and /etc/subgid. As runc and crun do.
import type { IdMapping } from '../spec/types';

export interface SubIdRange { start: number; count: number }

export interface Caller {
  uid: number;
  gid: number;
  /** Login name of uid (subuid/subgid lines may name the user or its number). */
  user?: string;
  /** Names of the caller's gid, for /etc/subgid lines. */
  group?: string;
  /** Can write any mapping itself (CAP_SETUID/CAP_SETGID over the ids). */
  privileged: boolean;
}

export type MapMethod = 'direct' | 'helper';

export interface IdMapWritePlan {
  uid: MapMethod;
  gid: MapMethod;
  /** Write "deny" to /proc/PID/setgroups before gid_map (then setgroups(2) fails in the container). */
  denySetgroups: boolean;
}

/** Parses /etc/subuid or /etc/subgid: the ranges of `names` (a name or a number). */
export function parseSubIds(text: string, names: (string | undefined)[]): SubIdRange[] {
  const want = new Set(names.filter((n): n is string => !!n));
  const out: SubIdRange[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length !== 3 || !want.has(f[0])) continue;
    const start = Number(f[1]), count = Number(f[2]);
    if (Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count > 0) out.push({ start, count });
  }
  return out;
}

/** One mapping of the caller's own id, size 1: what an unprivileged process may write itself. */
function isOwnSingle(maps: IdMapping[], own: number): boolean {
  return maps.length === 1 && maps[0].hostID === own && maps[0].size === 1;
}

export function planIdMapWrite(uidMaps: IdMapping[], gidMaps: IdMapping[], caller: Caller): IdMapWritePlan {
  if (caller.privileged) return { uid: 'direct', gid: 'direct', denySetgroups: false };
  const gid: MapMethod = isOwnSingle(gidMaps, caller.gid) ? 'direct' : 'helper';
  return { uid: isOwnSingle(uidMaps, caller.uid) ? 'direct' : 'helper', gid, denySetgroups: gid === 'direct' };
}

const fmt = (m: IdMapping) => `containerID ${m.containerID} hostID ${m.hostID} size ${m.size}`;

/**
 * Checks, before anything is created, that every mapping the helper will be asked for is the
 * caller's own id or inside its ranges, so that the error names the file and the range.
 */
export function checkHelperMappings(
  kind: 'uid' | 'gid', maps: IdMapping[], own: number, ranges: SubIdRange[], file: string, helperFound: boolean,
): void {
  const field = kind === 'uid' ? 'linux.uidMappings' : 'linux.gidMappings';
  const helper = kind === 'uid' ? 'newuidmap' : 'newgidmap';
  if (maps.length === 0) throw new Error(`${field}: a user namespace needs at least one mapping`);
  for (const m of maps) {
    if (m.hostID === own && m.size === 1) continue;
    const inside = ranges.some((r) => m.hostID >= r.start && m.hostID + m.size <= r.start + r.count);
    if (!inside) {
      const have = ranges.length ? ranges.map((r) => `${r.start}-${r.start + r.count - 1}`).join(', ') : 'none';
      throw new Error(`${field}: ${fmt(m)}: host ${kind}s ${m.hostID}-${m.hostID + m.size - 1} are neither your own ${kind} (${own}) ` +
        `nor in your ranges in ${file} (${have})`);
    }
  }
  if (!helperFound) throw new Error(`${field}: mapping more than your own ${kind} needs ${helper} (Debian package uidmap), not found in PATH`);
}

/** The helper's arguments after the pid: "containerID hostID size" triples. */
export function helperArgs(maps: IdMapping[]): string[] {
  return maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)]);
}
