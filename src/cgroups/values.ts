// Int64 values from the config: range checks and exact decimal text for cgroup files.
// Values may be number or bigint; bigint is written digit for digit.
import type { Int64 } from '../spec/types';
import { CgroupError } from './errors';

export type Num = Int64;

/** The value as a bigint; non-integers are rejected (naming the field). */
export function big(v: Num, field: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new CgroupError(`must be an integer, got ${String(v)}`, field);
  return BigInt(v);
}

/** Exact decimal text of an integer value. */
export function dec(v: Num, field: string): string {
  return big(v, field).toString();
}

/** Throws unless lo <= v <= hi (hi optional). */
export function checkRange(v: Num, field: string, lo: bigint, hi?: bigint): bigint {
  const b = big(v, field);
  if (b < lo || (hi !== undefined && b > hi)) {
    throw new CgroupError(`${b} is out of range (${hi === undefined ? `must be >= ${lo}` : `${lo}..${hi}`})`, field);
  }
  return b;
}

/** A limit where -1 means unlimited: v >= -1 is accepted. */
export function checkLimit(v: Num, field: string): bigint {
  const b = big(v, field);
  if (b < -1n) throw new CgroupError(`${b} is out of range (-1 for unlimited, or >= 0)`, field);
  return b;
}

/** v2 text of a limit: -1 → "max", otherwise the number. */
export function v2Limit(b: bigint): string {
  return b === -1n ? 'max' : b.toString();
}

/** cpuset list syntax: "0-3,5", possibly empty. */
export function checkCpuList(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^\s*(\d+(-\d+)?(\s*,\s*\d+(-\d+)?)*)?\s*$/.test(v)) {
    throw new CgroupError(`"${String(v)}" is not a list like "0-3,5"`, field);
  }
  return v.replace(/\s+/g, '');
}
