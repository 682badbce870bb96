// linux.resources.blockIO → blkio (v1) or io (v2) writes.
import type { Int64, Resources } from '../spec/types';
import { CgroupError } from './errors';
import { blkioToIoWeight } from './convert';
import { Emitter, isSet, versionFor } from './plan-types';
import { big, checkRange } from './values';

const F = 'linux.resources.blockIO';

/** runtime-spec linux.resources.blockIO (types.ts keeps it as a plain record). */
export interface BlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: { major: number; minor: number; weight?: number; leafWeight?: number }[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}
export interface ThrottleDevice { major: number; minor: number; rate: Int64 }

const THROTTLES = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device', 'rbps'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device', 'wbps'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device', 'riops'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device', 'wiops'],
] as const;

function weight(v: unknown, field: string): bigint | undefined {
  if (!isSet(v)) return undefined;
  const b = big(v as Int64, field);
  return b === 0n ? undefined : checkRange(b, field, 10n, 1000n);
}

function devNum(d: { major: unknown; minor: unknown }, field: string): string {
  const mj = big(d.major as Int64, `${field}.major`);
  const mn = big(d.minor as Int64, `${field}.minor`);
  if (mj < 0n || mn < 0n) throw new CgroupError('major and minor must be >= 0', field);
  return `${mj}:${mn}`;
}

function list<T>(v: unknown, field: string): T[] {
  if (!isSet(v)) return [];
  if (!Array.isArray(v)) throw new CgroupError('must be an array', field);
  return v as T[];
}

export function planBlockIO(res: Resources, e: Emitter): void {
  const b = res.blockIO as BlockIO | undefined;
  if (!b) return;
  const w = weight(b.weight, `${F}.weight`);
  const lw = weight(b.leafWeight, `${F}.leafWeight`);
  const devs = list<NonNullable<BlockIO['weightDevice']>[number]>(b.weightDevice, `${F}.weightDevice`).map((d, i) => {
    const f = `${F}.weightDevice[${i}]`;
    return { dev: devNum(d, f), f, weight: weight(d.weight, `${f}.weight`), leaf: weight(d.leafWeight, `${f}.leafWeight`) };
  });
  const throttles = THROTTLES.map(([key, v1file, v2key]) => ({
    v1file, v2key,
    items: list<ThrottleDevice>(b[key], `${F}.${key}`).map((d, i) => {
      const f = `${F}.${key}[${i}]`;
      return { dev: devNum(d, f), f, rate: checkRange(d.rate, `${f}.rate`, 0n) };
    }),
  }));
  const any = w !== undefined || lw !== undefined || devs.length > 0 || throttles.some((t) => t.items.length > 0);
  if (!any) return;
  const v = versionFor(e.ctx, 'blkio', F, { v2Name: 'io' });
  if (v === 1) {
    const h = 'blkio';
    const bfq = !e.exists(h, 'blkio.weight') && e.exists(h, 'blkio.bfq.weight');
    const wfile = bfq ? 'blkio.bfq.weight' : 'blkio.weight';
    if (w !== undefined) {
      if (!bfq && !e.exists(h, wfile)) throw new CgroupError('no blkio.weight or blkio.bfq.weight (no proportional I/O scheduler)', `${F}.weight`);
      e.write(h, wfile, w.toString(), `${F}.weight`);
    }
    if (lw !== undefined) leaf(e, h, 'blkio.leaf_weight', lw.toString(), `${F}.leafWeight`);
    for (const d of devs) {
      if (d.weight !== undefined) e.write(h, bfq ? 'blkio.bfq.weight_device' : 'blkio.weight_device', `${d.dev} ${d.weight}`, `${d.f}.weight`);
      if (d.leaf !== undefined) leaf(e, h, 'blkio.leaf_weight_device', `${d.dev} ${d.leaf}`, `${d.f}.leafWeight`);
    }
    for (const t of throttles) for (const d of t.items) e.write(h, t.v1file, `${d.dev} ${d.rate}`, `${d.f}.rate`);
    return;
  }
  const h = 'unified';
  const bfq = e.exists(h, 'io.bfq.weight');
  if (w !== undefined) {
    if (bfq) e.write(h, 'io.bfq.weight', w.toString(), `${F}.weight`);
    else e.write(h, 'io.weight', blkioToIoWeight(w).toString(), `${F}.weight`);
  }
  if (lw !== undefined) throw new CgroupError('leaf weights do not exist on cgroup v2', `${F}.leafWeight`);
  for (const d of devs) {
    if (d.leaf !== undefined) throw new CgroupError('leaf weights do not exist on cgroup v2', `${d.f}.leafWeight`);
    if (d.weight === undefined) continue;
    if (bfq) e.write(h, 'io.bfq.weight', `${d.dev} ${d.weight}`, `${d.f}.weight`);
    else e.write(h, 'io.weight', `${d.dev} ${blkioToIoWeight(d.weight)}`, `${d.f}.weight`);
  }
  for (const t of throttles) for (const d of t.items) e.write(h, 'io.max', `${d.dev} ${t.v2key}=${d.rate}`, `${d.f}.rate`);
}

function leaf(e: Emitter, h: string, file: string, value: string, field: string): void {
  if (!e.exists(h, file)) throw new CgroupError(`not supported by this kernel (no ${file})`, field);
  e.write(h, file, value, field);
}
