// RLIMIT_* resource numbers (asm-generic/resource.h, as on x86_64) and validation of
// the OCI process.rlimits list. Pure.

import type { Int64, Rlimit } from '../spec/types';

export const RLIMITS: Readonly<Record<string, number>> = Object.freeze({
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
});

/** RLIM_INFINITY: (rlim_t)~0 on 64-bit Linux. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

export interface ParsedRlimit {
  /** Original type string, e.g. "RLIMIT_NOFILE". */
  type: string;
  resource: number;
  soft: bigint;
  hard: bigint;
}

/** Resource number of an RLIMIT_* name, or undefined. */
export function rlimitResource(type: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(RLIMITS, type) ? RLIMITS[type] : undefined;
}

/** Name of a resource number ("RLIMIT_NOFILE"), or undefined. */
export function rlimitName(resource: number): string | undefined {
  for (const [k, v] of Object.entries(RLIMITS)) if (v === resource) return k;
  return undefined;
}

/**
 * Convert a JSON Int64 limit to a bigint rlim_t. JSON numbers at or above 2^64 (which is
 * what 18446744073709551615 becomes as a double) mean RLIM_INFINITY.
 */
export function toRlimValue(v: Int64 | unknown, where: string): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > RLIM_INFINITY) throw new Error(`${where}: value ${v} out of range`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isInteger(v)) {
    throw new Error(`${where}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  }
  if (v < 0) throw new Error(`${where}: value ${v} out of range`);
  if (v >= 2 ** 64) return RLIM_INFINITY;
  return BigInt(v);
}

/**
 * Validate and convert process.rlimits. Errors name `/process/rlimits/N/...`: unknown
 * type, duplicate type, bad values, soft above hard.
 */
export function parseRlimits(list: readonly Rlimit[] | undefined): ParsedRlimit[] {
  const out: ParsedRlimit[] = [];
  const seen = new Map<string, number>();
  (list ?? []).forEach((rl, i) => {
    const base = `/process/rlimits/${i}`;
    const type = rl?.type;
    const resource = typeof type === 'string' ? rlimitResource(type) : undefined;
    if (resource === undefined) throw new Error(`${base}/type: unknown rlimit type ${JSON.stringify(type)}`);
    const prev = seen.get(type);
    if (prev !== undefined) throw new Error(`${base}/type: duplicate rlimit type "${type}" (also /process/rlimits/${prev})`);
    seen.set(type, i);
    const soft = toRlimValue(rl.soft, `${base}/soft`);
    const hard = toRlimValue(rl.hard, `${base}/hard`);
    if (soft > hard) throw new Error(`${base}: soft limit ${soft} is greater than hard limit ${hard} for ${type}`);
    out.push({ type, resource, soft, hard });
  });
  return out;
}
