// linux.resources.memory → memory controller writes (v1 files or v2 files).
import type { Resources } from '../spec/types';
import { CgroupError } from './errors';
import { swapToV2 } from './convert';
import { Emitter, isSet, versionFor } from './plan-types';
import { big, checkLimit, v2Limit } from './values';

const F = 'linux.resources.memory';

type Memory = NonNullable<Resources['memory']>;

interface Checked { limit: bigint; reservation: bigint; swap: bigint; kernel: bigint; kernelTCP: bigint; swappiness: bigint }

function check(m: Memory): Checked {
  const lim = (k: 'limit' | 'reservation' | 'swap' | 'kernel' | 'kernelTCP'): bigint =>
    isSet(m[k]) ? checkLimit(m[k]!, `${F}.${k}`) : 0n;
  const c: Checked = {
    limit: lim('limit'), reservation: lim('reservation'), swap: lim('swap'),
    kernel: lim('kernel'), kernelTCP: lim('kernelTCP'), swappiness: -1n,
  };
  if (isSet(m.swappiness)) {
    const s = big(m.swappiness!, `${F}.swappiness`);
    if (s !== -1n && (s < 0n || s > 100n)) throw new CgroupError(`${s} is out of range (0..100)`, `${F}.swappiness`);
    c.swappiness = s;
  }
  return c;
}

export function planMemory(res: Resources, e: Emitter): void {
  const m = res.memory;
  if (!m) return;
  const c = check(m);
  const needs = c.limit !== 0n || c.reservation !== 0n || c.swap !== 0n || c.kernel !== 0n || c.kernelTCP !== 0n
    || c.swappiness !== -1n || m.disableOOMKiller === true || isSet(m.useHierarchy);
  if (!needs) return;
  const v = versionFor(e.ctx, 'memory', F);
  if (v === 1) planV1(m, c, e);
  else planV2(m, c, e);
}

function planV1(m: Memory, c: Checked, e: Emitter): void {
  const h = 'memory';
  const usageFile = m.checkBeforeUpdate ? 'memory.usage_in_bytes' : undefined;
  if (c.swap !== 0n) {
    if (c.swap !== -1n && (c.limit === 0n || c.limit === -1n)) {
      throw new CgroupError('a swap limit needs a finite memory limit (linux.resources.memory.limit)', `${F}.swap`);
    }
    if (c.swap !== -1n && c.swap < c.limit) {
      throw new CgroupError(`memory+swap limit ${c.swap} must be >= memory limit ${c.limit}`, `${F}.swap`);
    }
    if (!e.exists(h, 'memory.memsw.limit_in_bytes')) {
      throw new CgroupError('swap accounting is not available (no memory.memsw.limit_in_bytes)', `${F}.swap`);
    }
  }
  const limit = () => {
    if (c.limit !== 0n) {
      e.write(h, 'memory.limit_in_bytes', c.limit.toString(), `${F}.limit`, { retryOnEinval: true, usageFile });
    }
  };
  const swap = () => {
    if (c.swap !== 0n) e.write(h, 'memory.memsw.limit_in_bytes', c.swap.toString(), `${F}.swap`, { retryOnEinval: true });
  };
  // memsw must stay >= limit at every step: raising memsw to unlimited goes first.
  if (c.swap === -1n) { swap(); limit(); } else { limit(); swap(); }
  if (c.reservation !== 0n) e.write(h, 'memory.soft_limit_in_bytes', c.reservation.toString(), `${F}.reservation`);
  if (c.kernel !== 0n && e.exists(h, 'memory.kmem.limit_in_bytes')) {
    e.write(h, 'memory.kmem.limit_in_bytes', c.kernel.toString(), `${F}.kernel`);
  }
  if (c.kernelTCP !== 0n && e.exists(h, 'memory.kmem.tcp.limit_in_bytes')) {
    e.write(h, 'memory.kmem.tcp.limit_in_bytes', c.kernelTCP.toString(), `${F}.kernelTCP`);
  }
  if (c.swappiness !== -1n) e.write(h, 'memory.swappiness', c.swappiness.toString(), `${F}.swappiness`);
  if (m.disableOOMKiller === true) e.write(h, 'memory.oom_control', '1', `${F}.disableOOMKiller`);
  if (isSet(m.useHierarchy)) e.write(h, 'memory.use_hierarchy', m.useHierarchy ? '1' : '0', `${F}.useHierarchy`);
}

function planV2(m: Memory, c: Checked, e: Emitter): void {
  const h = 'unified';
  if (c.swappiness !== -1n) throw new CgroupError('memory swappiness cannot be set on cgroup v2', `${F}.swappiness`);
  if (m.disableOOMKiller === true) throw new CgroupError('the OOM killer cannot be disabled on cgroup v2', `${F}.disableOOMKiller`);
  if (m.useHierarchy === false) throw new CgroupError('cgroup v2 is always hierarchical', `${F}.useHierarchy`);
  // kernel and kernelTCP limits have no v2 files (kernel memory is part of memory.max): ignored, as runc does.
  const swap = swapToV2(c.swap, c.limit);
  if (typeof swap === 'string') throw new CgroupError(swap, `${F}.swap`);
  if (swap !== null) {
    if (!e.exists(h, 'memory.swap.max')) {
      // Unlimited swap implied by an unlimited limit is skipped quietly where swap accounting is off.
      if (c.swap !== 0n) throw new CgroupError('swap accounting is not available (no memory.swap.max)', `${F}.swap`);
    } else {
      e.write(h, 'memory.swap.max', v2Limit(swap), `${F}.swap`, { retryOnEinval: true });
    }
  }
  if (c.limit !== 0n) {
    e.write(h, 'memory.max', v2Limit(c.limit), `${F}.limit`,
      { retryOnEinval: true, usageFile: m.checkBeforeUpdate ? 'memory.current' : undefined });
  }
  if (c.reservation !== 0n) e.write(h, 'memory.low', v2Limit(c.reservation), `${F}.reservation`);
}
