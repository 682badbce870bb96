// What ocits tells CRIU about a container, as runc does: pure functions from the
// container's config (and a few facts read by the caller) to criu_opts pieces.
import type { Mount, Spec } from '../spec/types';
import { cleanPath } from '../linux/paths';
import type { CriuOpts } from './rpc';

export const CLONE_NEWNET = 0x40000000;

export type CgroupsMode = NonNullable<CriuOpts['manage_cgroups_mode']>;

/** --manage-cgroups-mode: soft, full or strict (runc's choices and message). */
export function cgroupsMode(v: string | undefined): CgroupsMode | undefined {
  if (v === undefined || v === '') return undefined;
  const mode = ({ soft: 'SOFT', full: 'FULL', strict: 'STRICT' } as const)[v as 'soft'];
  if (!mode) throw new Error('Invalid manage cgroups mode');
  return mode;
}

/** empty_ns: the network namespace always (ocits does not dump interfaces), plus each --empty-ns. */
export function emptyNsMask(names: string[]): number {
  let mask = CLONE_NEWNET;
  for (const n of names) {
    if (n !== 'network') throw new Error(`namespace "${n}" is not supported`);
    mask |= CLONE_NEWNET;
  }
  return mask;
}

export function isBind(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/** A mount destination as CRIU sees it inside the container's root. */
function dest(m: { destination: string }): string {
  return cleanPath('/' + m.destination);
}

/** Bind mounts (and device paths) are external to the checkpoint: keyed by their destination. */
export function dumpExternalMounts(spec: Spec, maskedFiles: string[]): { key: string; val: string }[] {
  const out = (spec.mounts ?? []).filter(isBind).map((m) => ({ key: dest(m), val: dest(m) }));
  // Masked files are bind mounts of /dev/null.
  for (const p of maskedFiles) out.push({ key: cleanPath('/' + p), val: '/dev/null' });
  for (const d of spec.linux?.devices ?? []) out.push({ key: dest({ destination: d.path }), val: dest({ destination: d.path }) });
  return dedupe(out);
}

/** On restore each external mount key gets its source on the host again. */
export function restoreExternalMounts(spec: Spec, bundle: string): { key: string; val: string }[] {
  const out = (spec.mounts ?? []).filter(isBind).map((m) => ({ key: dest(m), val: hostSource(m.source ?? '', bundle) }));
  if ((spec.linux?.maskedPaths ?? []).length > 0) out.push({ key: '/dev/null', val: '/dev/null' });
  for (const d of spec.linux?.devices ?? []) out.push({ key: dest({ destination: d.path }), val: d.path });
  return dedupe(out);
}

function hostSource(source: string, bundle: string): string {
  return source.startsWith('/') ? source : cleanPath(`${bundle}/${source}`);
}

function dedupe(list: { key: string; val: string }[]): { key: string; val: string }[] {
  const seen = new Set<string>();
  return list.filter((e) => !seen.has(e.key) && seen.add(e.key));
}

const EXTERNAL_NS: Record<string, { criu: string; key: string }> = {
  network: { criu: 'net', key: 'extRootNetNS' },
  pid: { criu: 'pid', key: 'extRootPidNS' },
};

/** Network and pid namespaces joined by path are external: `net[<inode>]:extRootNetNS`. */
export function dumpExternalNamespaces(spec: Spec, inodeOf: (path: string) => number): string[] {
  const out: string[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    const ext = EXTERNAL_NS[ns.type];
    if (ext && ns.path) out.push(`${ext.criu}[${inodeOf(ns.path)}]:${ext.key}`);
  }
  return out;
}

export interface RestoreNamespaces {
  /** External namespaces: the caller opens each path and passes it as inherit_fd `key`. */
  inherit: { key: string; path: string }[];
  joinNs: { ns: string; ns_file: string }[];
}

/** Namespaces joined by path on restore: net/pid as inherited fds, the others through join_ns. */
export function restoreNamespaces(spec: Spec): RestoreNamespaces {
  const r: RestoreNamespaces = { inherit: [], joinNs: [] };
  const criuName: Record<string, string> = { ipc: 'ipc', uts: 'uts', mount: 'mnt', user: 'user', time: 'time' };
  for (const ns of spec.linux?.namespaces ?? []) {
    if (!ns.path) continue;
    const ext = EXTERNAL_NS[ns.type];
    if (ext) r.inherit.push({ key: ext.key, path: ns.path });
    else if (ns.type === 'cgroup') throw new Error(`Do not know how to handle namespace ${ns.type}`);
    else r.joinNs.push({ ns: criuName[ns.type] ?? ns.type, ns_file: ns.path });
  }
  return r;
}

/** The annotation org.criu.config names CRIU's configuration file ("" for none); default runc's. */
export function criuConfigFile(annotations: Record<string, string> | undefined): string | undefined {
  const a = annotations?.['org.criu.config'];
  if (a === undefined) return '/etc/criu/runc.conf';
  return a === '' ? undefined : a;
}

/** inherit_fd for each stdio fd of the checkpointed init that was a pipe (descriptors.json). */
export function inheritPipes(descriptors: string[]): { key: string; fd: number }[] {
  return descriptors.flatMap((d, fd) => (d.includes('pipe:') ? [{ key: d, fd }] : []));
}

/** cg_root for each v1 controller of /proc/PID/cgroup text (restore into the container's cgroups). */
export function cgroupRoots(procCgroup: string): { ctrl: string; path: string }[] {
  const out: { ctrl: string; path: string }[] = [];
  for (const line of procCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m || m[1] === '') continue;
    for (const ctrl of m[1].split(',')) out.push({ ctrl, path: m[2] });
  }
  return out;
}

/** One bind of create's cgroup mount plan (src/linux/cgroup-mount.ts): its name under the mount, its host source. */
export interface CgroupBind { name: string; source: string }

/**
 * Binds that make up a cgroup mount (v1 without a cgroup namespace: one per hierarchy, of the
 * container's own cgroup) are external, keyed by where they sit in the container; on restore
 * each key gets the new container's cgroup directory again.
 */
export function cgroupBindMounts(spec: Spec, binds: (m: Mount) => CgroupBind[], restore: boolean): { key: string; val: string }[] {
  const out: { key: string; val: string }[] = [];
  for (const m of spec.mounts ?? []) {
    if (m.type !== 'cgroup' && m.type !== 'cgroup2') continue;
    for (const b of binds(m)) {
      const key = cleanPath(`${dest(m)}/${b.name}`);
      out.push({ key, val: restore ? b.source : key });
    }
  }
  return out;
}
