// Namespace kinds as data: the OCI name, the clone flag and the /proc/PID/ns entry.
import type { Namespace, NamespaceType } from '../spec/types';

export interface NamespaceKind { type: NamespaceType; flag: number; procName: string }

/** In the order they are joined: user first, mount last (its paths are host paths). */
export const NAMESPACE_KINDS: NamespaceKind[] = [
  { type: 'user', flag: 0x10000000, procName: 'user' },
  { type: 'ipc', flag: 0x08000000, procName: 'ipc' },
  { type: 'uts', flag: 0x04000000, procName: 'uts' },
  { type: 'network', flag: 0x40000000, procName: 'net' },
  { type: 'pid', flag: 0x20000000, procName: 'pid' },
  { type: 'cgroup', flag: 0x02000000, procName: 'cgroup' },
  { type: 'time', flag: 0x00000080, procName: 'time' },
  { type: 'mount', flag: 0x00020000, procName: 'mnt' },
];

export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWTIME = 0x00000080;

export function namespaceKind(type: NamespaceType): NamespaceKind {
  const k = NAMESPACE_KINDS.find((n) => n.type === type);
  if (!k) throw new Error(`unknown namespace type "${type}"`);
  return k;
}

export interface NamespacePlan {
  /** Namespaces to join, in join order (user first). */
  join: { kind: NamespaceKind; path: string }[];
  /** New user namespace? (unshared on its own, before the others) */
  newUser: boolean;
  /** Clone flags of the other new namespaces. */
  newFlags: number;
  has(type: NamespaceType): 'new' | 'join' | 'none';
}

export function planNamespaces(namespaces: Namespace[] = []): NamespacePlan {
  const byType = new Map(namespaces.map((n) => [n.type, n]));
  const join: NamespacePlan['join'] = [];
  let newFlags = 0;
  let newUser = false;
  for (const kind of NAMESPACE_KINDS) {
    const ns = byType.get(kind.type);
    if (!ns) continue;
    if (ns.path) join.push({ kind, path: ns.path });
    else if (kind.type === 'user') newUser = true;
    else newFlags |= kind.flag;
  }
  return {
    join, newUser, newFlags,
    has(type) {
      const ns = byType.get(type);
      return !ns ? 'none' : ns.path ? 'join' : 'new';
    },
  };
}
