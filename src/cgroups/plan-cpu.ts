// linux.resources.cpu → cpu controller writes (shares/quota/period/burst/realtime/idle)
// and cpuset controller writes (cpus/mems).
import type { Resources } from '../spec/types';
import { CgroupError } from './errors';
import { sharesToWeight } from './convert';
import { Emitter, isSet, versionFor } from './plan-types';
import { big, checkCpuList, checkRange } from './values';

const F = 'linux.resources.cpu';

type Cpu = NonNullable<Resources['cpu']>;

interface Checked {
  shares: bigint; quota: bigint; period: bigint; burst?: bigint;
  rtRuntime: bigint; rtPeriod: bigint; idle?: bigint;
}

function check(c: Cpu): Checked {
  const r: Checked = { shares: 0n, quota: 0n, period: 0n, rtRuntime: 0n, rtPeriod: 0n };
  if (isSet(c.shares)) {
    r.shares = big(c.shares!, `${F}.shares`);
    if (r.shares !== 0n) checkRange(r.shares, `${F}.shares`, 2n, 262144n);
  }
  if (isSet(c.quota)) {
    r.quota = big(c.quota!, `${F}.quota`);
    if (r.quota < -1n || (r.quota > 0n && r.quota < 1000n)) {
      throw new CgroupError(`${r.quota} is out of range (-1 for unlimited, or >= 1000 microseconds)`, `${F}.quota`);
    }
  }
  if (isSet(c.period)) {
    r.period = big(c.period!, `${F}.period`);
    if (r.period !== 0n) checkRange(r.period, `${F}.period`, 1000n, 1000000n);
  }
  if (isSet(c.burst)) r.burst = checkRange(c.burst!, `${F}.burst`, 0n);
  if (isSet(c.realtimeRuntime)) r.rtRuntime = checkRange(c.realtimeRuntime!, `${F}.realtimeRuntime`, -1n);
  if (isSet(c.realtimePeriod)) r.rtPeriod = checkRange(c.realtimePeriod!, `${F}.realtimePeriod`, 0n);
  if (isSet(c.idle)) r.idle = checkRange(c.idle!, `${F}.idle`, 0n, 1n);
  return r;
}

export function planCpu(res: Resources, e: Emitter): void {
  const c = res.cpu;
  if (!c) return;
  const k = check(c);
  const cpus = isSet(c.cpus) ? checkCpuList(c.cpus, `${F}.cpus`) : undefined;
  const mems = isSet(c.mems) ? checkCpuList(c.mems, `${F}.mems`) : undefined;
  const needsCpu = k.shares !== 0n || k.quota !== 0n || k.period !== 0n || k.burst !== undefined
    || k.rtRuntime !== 0n || k.rtPeriod !== 0n || k.idle !== undefined;
  if (needsCpu) {
    if (versionFor(e.ctx, 'cpu', F) === 1) planV1(k, e);
    else planV2(k, e);
  }
  // Empty strings mean "not set" (an empty cpuset would leave the cgroup unable to run anything).
  if (cpus || mems) {
    const v = versionFor(e.ctx, 'cpuset', cpus ? `${F}.cpus` : `${F}.mems`);
    const h = e.hierarchy('cpuset', v);
    if (cpus) e.write(h, 'cpuset.cpus', cpus, `${F}.cpus`);
    if (mems) e.write(h, 'cpuset.mems', mems, `${F}.mems`);
  }
}

function planV1(k: Checked, e: Emitter): void {
  const h = 'cpu';
  if (k.shares !== 0n) e.write(h, 'cpu.shares', k.shares.toString(), `${F}.shares`);
  // A smaller period can be refused until the quota is lowered: retried at the end.
  if (k.period !== 0n) e.write(h, 'cpu.cfs_period_us', k.period.toString(), `${F}.period`, { retryOnEinval: true });
  if (k.quota !== 0n) e.write(h, 'cpu.cfs_quota_us', k.quota.toString(), `${F}.quota`, { retryOnEinval: true });
  if (k.burst !== undefined) {
    if (!e.exists(h, 'cpu.cfs_burst_us')) throw new CgroupError('not supported by this kernel (no cpu.cfs_burst_us)', `${F}.burst`);
    e.write(h, 'cpu.cfs_burst_us', k.burst.toString(), `${F}.burst`, { retryOnEinval: true });
  }
  if (k.rtPeriod !== 0n) e.write(h, 'cpu.rt_period_us', k.rtPeriod.toString(), `${F}.realtimePeriod`, { retryOnEinval: true });
  if (k.rtRuntime !== 0n) e.write(h, 'cpu.rt_runtime_us', k.rtRuntime.toString(), `${F}.realtimeRuntime`, { retryOnEinval: true });
  if (k.idle !== undefined) {
    if (!e.exists(h, 'cpu.idle')) throw new CgroupError('not supported by this kernel (no cpu.idle)', `${F}.idle`);
    e.write(h, 'cpu.idle', k.idle.toString(), `${F}.idle`);
  }
}

function planV2(k: Checked, e: Emitter): void {
  const h = 'unified';
  if (k.rtRuntime !== 0n) throw new CgroupError('realtime scheduling limits are not supported on cgroup v2', `${F}.realtimeRuntime`);
  if (k.rtPeriod !== 0n) throw new CgroupError('realtime scheduling limits are not supported on cgroup v2', `${F}.realtimePeriod`);
  if (k.shares !== 0n) e.write(h, 'cpu.weight', sharesToWeight(k.shares).toString(), `${F}.shares`);
  if (k.quota !== 0n || k.period !== 0n) {
    const quota = k.quota > 0n ? k.quota.toString() : 'max';
    const period = k.period !== 0n ? k.period : 100000n;
    e.write(h, 'cpu.max', `${quota} ${period}`, k.quota !== 0n ? `${F}.quota` : `${F}.period`);
  }
  if (k.burst !== undefined) {
    if (!e.exists(h, 'cpu.max.burst')) throw new CgroupError('not supported by this kernel (no cpu.max.burst)', `${F}.burst`);
    e.write(h, 'cpu.max.burst', k.burst.toString(), `${F}.burst`);
  }
  if (k.idle !== undefined) {
    if (!e.exists(h, 'cpu.idle')) throw new CgroupError('not supported by this kernel (no cpu.idle)', `${F}.idle`);
    e.write(h, 'cpu.idle', k.idle.toString(), `${F}.idle`);
  }
}
