// linux.resources.devices: validation into normalized rules, and the v1
// devices.allow / devices.deny lines. Pure.
import type { DeviceCgroup } from '../spec/types';
import { CgroupError } from './errors';

export interface DeviceRule {
  allow: boolean;
  /** 'a' = any type. */
  type: 'a' | 'c' | 'b';
  /** null = any. */
  major: number | null;
  minor: number | null;
  /** Subset of "rwm", non-empty, in that order. */
  access: string;
}

const F = 'linux.resources.devices';

function num(v: unknown, field: string): number | null {
  if (v === undefined || v === null || v === -1) return null;
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new CgroupError(`${String(v)} is not a device number (-1 or omitted for any)`, field);
  }
  return v;
}

export function normalizeDeviceRules(list: DeviceCgroup[]): DeviceRule[] {
  if (!Array.isArray(list)) throw new CgroupError('must be an array', F);
  return list.map((d, i) => {
    const f = `${F}[${i}]`;
    if (!d || typeof d !== 'object') throw new CgroupError('must be an object', f);
    if (typeof d.allow !== 'boolean') throw new CgroupError('is required (true or false)', `${f}.allow`);
    const type = d.type === undefined || d.type === null ? 'a' : d.type;
    if (type !== 'a' && type !== 'c' && type !== 'b') throw new CgroupError(`"${String(type)}" is not a, c or b`, `${f}.type`);
    const acc = d.access === undefined || d.access === null ? 'rwm' : d.access;
    if (typeof acc !== 'string' || acc === '' || /[^rwm]/.test(acc)) {
      throw new CgroupError(`"${String(acc)}" is not a combination of r, w and m`, `${f}.access`);
    }
    const access = ['r', 'w', 'm'].filter((c) => acc.includes(c)).join('');
    return { allow: d.allow, type, major: num(d.major, `${f}.major`), minor: num(d.minor, `${f}.minor`), access };
  });
}

/** "c 1:3 rwm", "a *:* rwm": the v1 devices.allow / devices.deny syntax. */
export function v1RuleText(r: DeviceRule): string {
  return `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`;
}
