// Semantic checks on a config that already passed the JSON Schema: rules the
// schema cannot express (absolute paths, uniqueness, cross-field constraints).
// Pure: the filesystem is reached only through the injectable `probe`.
import { statSync } from 'node:fs';
import { isAbsolute, posix, resolve } from 'node:path';
import { ptr } from './errors';
import type { Hook, Hooks, Process, Spec } from './types';

export interface SemanticIssue {
  /** JSON pointer of the offending value. */
  pointer: string;
  /** What is wrong / expected. */
  detail: string;
}

export type PathKind = 'dir' | 'file' | 'other' | 'missing';

/** Tells what is at a path (following symlinks). */
export type FsProbe = (path: string) => PathKind;

export const defaultProbe: FsProbe = (p) => {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 'missing';
  if (st.isDirectory()) return 'dir';
  return st.isFile() ? 'file' : 'other';
};

export interface SemanticOptions {
  /** Absolute bundle directory: when given, root.path must exist and be a directory. */
  bundle?: string;
  /** Filesystem probe (default: stat). */
  probe?: FsProbe;
}

const VERSION_RE = /^1\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const RLIMIT_RE = /^RLIMIT_[A-Z_]+$/;
const HOOK_KINDS: (keyof Hooks)[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

const q = (s: unknown): string => JSON.stringify(s);

/**
 * Strings with a NUL byte: C sees only the part before it, so a check made on the
 * whole string in JS would not hold for what the kernel gets ("/proc\0x" is /proc).
 */
export function nulIssues(value: unknown, at: (string | number)[] = []): SemanticIssue[] {
  if (typeof value === 'string') return value.includes('\0') ? [{ pointer: ptr(...at), detail: 'must not contain a NUL byte' }] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => nulIssues(v, [...at, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (k.includes('\0')
      ? [{ pointer: ptr(...at), detail: `key ${JSON.stringify(k)} must not contain a NUL byte` }]
      : nulIssues(v, [...at, k])));
  }
  return [];
}

/** All semantic problems of a full config, in document order (empty when fine). */
export function checkSpecSemantics(spec: Spec, opts: SemanticOptions = {}): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  const add = (pointer: string, detail: string): void => {
    out.push({ pointer, detail });
  };
  const nul = nulIssues(spec);
  if (nul.length > 0) return nul;

  if (!VERSION_RE.test(spec.ociVersion)) add('/ociVersion', `must be a 1.x.y version string (got ${q(spec.ociVersion)})`);

  if (spec.root && opts.bundle !== undefined) {
    const rootfs = resolve(opts.bundle, spec.root.path);
    const kind = (opts.probe ?? defaultProbe)(rootfs);
    if (kind === 'missing') add('/root/path', `root filesystem ${rootfs} does not exist`);
    else if (kind !== 'dir') add('/root/path', `root filesystem ${rootfs} is not a directory`);
  }

  if (spec.process) out.push(...checkProcessSemantics(spec.process, '/process'));

  const namespaces = spec.linux?.namespaces ?? [];
  const nsTypes = new Set(namespaces.map((n) => n.type));
  if (spec.hostname && !nsTypes.has('uts')) add('/hostname', 'setting a hostname requires a uts namespace in /linux/namespaces');
  if (spec.domainname && !nsTypes.has('uts')) add('/domainname', 'setting a domainname requires a uts namespace in /linux/namespaces');

  // A relative mount destination is deprecated but valid: it is taken relative to "/" (config.md).
  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    (spec.linux?.[key] ?? []).forEach((p, i) => {
      if (!isAbsolute(p)) add(ptr('linux', key, i), `must be an absolute path (got ${q(p)})`);
    });
  }

  if (spec.hooks) {
    for (const kind of HOOK_KINDS) {
      (spec.hooks[kind] ?? []).forEach((h: Hook, i: number) => {
        if (!isAbsolute(h.path)) add(ptr('hooks', kind, i, 'path'), `must be an absolute path (got ${q(h.path)})`);
        if (h.timeout !== undefined && h.timeout <= 0) add(ptr('hooks', kind, i, 'timeout'), 'must be greater than 0');
      });
    }
  }

  const linux = spec.linux;
  if (!linux) return out;

  const seen = new Map<string, number>();
  namespaces.forEach((ns, i) => {
    const prev = seen.get(ns.type);
    if (prev !== undefined) add(ptr('linux', 'namespaces', i, 'type'), `duplicate namespace type ${q(ns.type)} (also at index ${prev})`);
    else seen.set(ns.type, i);
    if (ns.path !== undefined && !isAbsolute(ns.path)) {
      add(ptr('linux', 'namespaces', i, 'path'), `must be an absolute path (got ${q(ns.path)})`);
    }
  });

  const userNs = namespaces.find((n) => n.type === 'user');
  for (const key of ['uidMappings', 'gidMappings'] as const) {
    const maps = linux[key];
    if (userNs && !userNs.path && !(maps && maps.length > 0)) {
      add(ptr('linux', key), 'must be a non-empty array when a new user namespace is created');
    } else if (!userNs && maps && maps.length > 0) {
      add(ptr('linux', key), 'requires a user namespace in /linux/namespaces');
    }
  }

  if (linux.timeOffsets && Object.keys(linux.timeOffsets).length > 0) {
    const timeNs = namespaces.find((n) => n.type === 'time');
    if (!timeNs || timeNs.path) add('/linux/timeOffsets', 'requires a new time namespace (type "time" without a path) in /linux/namespaces');
  }

  (linux.devices ?? []).forEach((d, i) => {
    const norm = posix.normalize(d.path);
    if (!d.path.startsWith('/') || !norm.startsWith('/dev/')) {
      add(ptr('linux', 'devices', i, 'path'), `must be an absolute path under /dev (got ${q(d.path)})`);
    }
    if (d.type !== 'p') {
      for (const f of ['major', 'minor'] as const) {
        if (d[f] === undefined) add(ptr('linux', 'devices', i), `missing required field ${q(f)} (required for device type ${q(d.type)})`);
      }
    }
  });

  if (linux.sysctl && Object.keys(linux.sysctl).some((k) => k.trim() === '')) {
    add('/linux/sysctl', 'keys must be non-empty');
  }

  return out;
}

/**
 * Semantic problems of a process object. `base` is the pointer of the object
 * ("/process" inside config.json, "" for an exec process.json).
 */
export function checkProcessSemantics(proc: Process, base: string): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  if (base === '') {
    const nul = nulIssues(proc);
    if (nul.length > 0) return nul;
  }
  if (!proc.args || proc.args.length === 0) out.push({ pointer: `${base}/args`, detail: 'must be a non-empty array' });
  if (!isAbsolute(proc.cwd)) out.push({ pointer: `${base}/cwd`, detail: `must be an absolute path (got ${q(proc.cwd)})` });
  // (uid_t)-1 means "unchanged" to setresuid/setresgid/setgroups: the process would stay root.
  const user = proc.user as { uid?: unknown; gid?: unknown; additionalGids?: unknown[] } | undefined;
  for (const [k, v] of [['uid', user?.uid], ['gid', user?.gid], ...(user?.additionalGids ?? []).map((g, i) => [`additionalGids/${i}`, g])] as [string, unknown][]) {
    if (v === 4294967295 || v === 4294967295n) out.push({ pointer: `${base}/user/${k}`, detail: 'must be at most 4294967294 (4294967295 is the "no change" id)' });
  }
  const seen = new Map<string, number>();
  (proc.rlimits ?? []).forEach((rl, i) => {
    const at = `${base}/rlimits/${i}`;
    if (!RLIMIT_RE.test(rl.type)) out.push({ pointer: `${at}/type`, detail: `must be of the form RLIMIT_* (got ${q(rl.type)})` });
    const prev = seen.get(rl.type);
    if (prev !== undefined) out.push({ pointer: `${at}/type`, detail: `duplicate rlimit ${q(rl.type)} (also at index ${prev})` });
    else seen.set(rl.type, i);
    if (BigInt(rl.soft) > BigInt(rl.hard)) out.push({ pointer: at, detail: 'soft limit must not exceed hard limit' });
  });
  return out;
}
