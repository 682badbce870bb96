// Which sysctls a container may set: only those that belong to a namespace the
// container has of its own (runc's validate.sysctl). Anything else would be a
// write to the host's kernel settings, e.g. kernel.core_pattern, whose pipe
// helper runs as host root. Pure: the host network namespace test is injected.

export interface SysctlNamespaces {
  /** Namespace types in the config, mapped to their path ('' for a new one). */
  namespaces: ReadonlyMap<string, string>;
  /** Is this namespace path the runtime's own network namespace? */
  isHostNetns: (path: string) => boolean;
}

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/**
 * A key's components: "/"-separated when it contains a "/" (dots are then part
 * of names, as in sysctl(8): net/ipv4/conf/eth0.100/forwarding), else
 * "."-separated. Throws on empty, "." or ".." components.
 */
export function sysctlParts(key: string): string[] {
  const parts = key.split(key.includes('/') ? '/' : '.');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
    throw new Error(`sysctl "${key}" is not a valid name (empty, "." or ".." components)`);
  }
  return parts;
}

/** The file under /proc/sys for a key. */
export function sysctlPath(key: string): string {
  return '/proc/sys/' + sysctlParts(key).join('/');
}

/** The reason a sysctl cannot be set in this container, or null. */
export function sysctlRefusal(key: string, ctx: SysctlNamespaces): string | null {
  let name: string;
  try {
    name = sysctlParts(key).join('.');
  } catch (e) {
    return (e as Error).message;
  }
  const has = (t: string): boolean => ctx.namespaces.has(t);
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
    return has('ipc') ? null : `sysctl "${key}" is not allowed in the host's ipc namespace`;
  }
  if (name.startsWith('net.')) {
    if (!has('network')) return `sysctl "${key}" is not allowed in the host's network namespace`;
    const p = ctx.namespaces.get('network');
    if (p && ctx.isHostNetns(p)) return `sysctl "${key}" is not allowed in the host's network namespace (${p})`;
    return null;
  }
  if (name.startsWith('user.')) {
    return has('user') ? null : `sysctl "${key}" is not allowed in the host's user namespace`;
  }
  if (has('uts') && name === 'kernel.domainname') return null;
  if (has('uts') && name === 'kernel.hostname') return `sysctl "${key}" is not allowed: it conflicts with the "hostname" field`;
  return `sysctl "${key}" is not in a separate kernel namespace: setting it would change the host`;
}
