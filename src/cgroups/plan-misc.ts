// linux.resources pids, hugepageLimits, network, rdma and unified → writes.
import type { Resources } from '../spec/types';
import { CgroupError } from './errors';
import { Emitter, isSet, UNIFIED, versionFor } from './plan-types';
import { big, checkLimit, checkRange, v2Limit } from './values';

const R = 'linux.resources';

export function planPids(res: Resources, e: Emitter): void {
  if (!res.pids) return;
  const f = `${R}.pids.limit`;
  if (!isSet(res.pids.limit)) throw new CgroupError('is required', f);
  const b = big(res.pids.limit, f);
  if (b < -1n) throw new CgroupError(`${b} is out of range (-1 or 0 for unlimited, or > 0)`, f);
  const h = e.hierarchy('pids', versionFor(e.ctx, 'pids', f));
  // -1 and 0 both mean "no limit" (runc's reading of the spec).
  e.write(h, 'pids.max', b > 0n ? b.toString() : 'max', f);
}

/** "2MB", "1GB", "64KB": the page size names the kernel uses in hugetlb file names. */
const PAGE_SIZE = /^[1-9][0-9]*(KB|MB|GB|TB|PB)$/;

export function planHugetlb(res: Resources, e: Emitter): void {
  const list = res.hugepageLimits;
  if (!list || list.length === 0) return;
  const v = versionFor(e.ctx, 'hugetlb', `${R}.hugepageLimits`);
  const h = e.hierarchy('hugetlb', v);
  list.forEach((l, i) => {
    const f = `${R}.hugepageLimits[${i}]`;
    if (typeof l.pageSize !== 'string' || !PAGE_SIZE.test(l.pageSize)) {
      throw new CgroupError(`"${String(l.pageSize)}" is not a page size like "2MB"`, `${f}.pageSize`);
    }
    const b = checkLimit(l.limit, `${f}.limit`);
    const [main, rsvd] = v === 1
      ? [`hugetlb.${l.pageSize}.limit_in_bytes`, `hugetlb.${l.pageSize}.rsvd.limit_in_bytes`]
      : [`hugetlb.${l.pageSize}.max`, `hugetlb.${l.pageSize}.rsvd.max`];
    if (!e.exists(h, main)) throw new CgroupError(`page size ${l.pageSize} is not supported here (no ${main})`, `${f}.pageSize`);
    const value = v === 1 ? b.toString() : v2Limit(b);
    e.write(h, main, value, `${f}.limit`);
    // Reservations are limited the same way where the kernel has them (as runc does).
    if (e.exists(h, rsvd)) e.write(h, rsvd, value, `${f}.limit`);
  });
}

export function planNetwork(res: Resources, e: Emitter): void {
  const n = res.network;
  if (!n) return;
  const f = `${R}.network`;
  if (isSet(n.classID)) {
    const id = checkRange(n.classID!, `${f}.classID`, 0n, 0xffffffffn);
    versionFor(e.ctx, 'net_cls', `${f}.classID`, { v1Only: true });
    e.write('net_cls', 'net_cls.classid', id.toString(), `${f}.classID`);
  }
  const prios = n.priorities ?? [];
  if (prios.length > 0) versionFor(e.ctx, 'net_prio', `${f}.priorities`, { v1Only: true });
  prios.forEach((p, i) => {
    const pf = `${f}.priorities[${i}]`;
    if (typeof p.name !== 'string' || !/^[^\s/]+$/.test(p.name)) throw new CgroupError(`"${String(p.name)}" is not an interface name`, `${pf}.name`);
    const prio = checkRange(p.priority, `${pf}.priority`, 0n, 0xffffffffn);
    e.write('net_prio', 'net_prio.ifpriomap', `${p.name} ${prio}`, pf);
  });
}

export function planRdma(res: Resources, e: Emitter): void {
  const r = res.rdma;
  if (!r) return;
  const entries = Object.entries(r);
  if (entries.length === 0) return;
  const h = e.hierarchy('rdma', versionFor(e.ctx, 'rdma', `${R}.rdma`));
  for (const [dev, lim] of entries) {
    const f = `${R}.rdma["${dev}"]`;
    if (!/^[^\s=]+$/.test(dev)) throw new CgroupError('is not an RDMA device name', f);
    const parts: string[] = [];
    if (isSet(lim?.hcaHandles)) parts.push(`hca_handle=${checkRange(lim.hcaHandles!, `${f}.hcaHandles`, 0n, 0xffffffffn)}`);
    if (isSet(lim?.hcaObjects)) parts.push(`hca_object=${checkRange(lim.hcaObjects!, `${f}.hcaObjects`, 0n, 0xffffffffn)}`);
    if (parts.length > 0) e.write(h, 'rdma.max', `${dev} ${parts.join(' ')}`, f);
  }
}

export function planUnified(res: Resources, e: Emitter): void {
  const u = res.unified;
  if (!u) return;
  const keys = Object.keys(u);
  if (keys.length === 0) return;
  if (e.ctx.layout === 'v1') {
    throw new CgroupError('cannot be applied: this host has no cgroup v2 (unified) hierarchy', `${R}.unified`);
  }
  for (const k of keys) {
    const f = `${R}.unified["${k}"]`;
    if (k.includes('/') || k.includes('\0') || k === '.' || k === '..') throw new CgroupError('must be a file name', f);
    const dot = k.indexOf('.');
    if (dot <= 0 || dot === k.length - 1) throw new CgroupError('must be a CONTROLLER.PARAMETER file name', f);
    if (typeof u[k] !== 'string') throw new CgroupError('value must be a string', f);
    const ctl = k.slice(0, dot);
    if (ctl !== 'cgroup' && !e.ctx.v2.has(ctl)) {
      const why = e.ctx.v1.has(ctl) ? 'is bound to a v1 hierarchy on this host' : 'is not available in the unified hierarchy';
      throw new CgroupError(`the ${ctl} controller ${why}`, f);
    }
    if (!e.exists(UNIFIED, k)) throw new CgroupError(`no such file in the unified cgroup (${k})`, f);
    e.write(UNIFIED, k, u[k], f);
  }
}
