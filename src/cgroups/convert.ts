// cgroup v1 → v2 value conversions, the same formulas runc and crun use. Pure.

/** cpu.shares [2..262144] → cpu.weight [1..10000]: 1 + ((shares - 2) * 9999) / 262142 (integer division). */
export function sharesToWeight(shares: bigint): bigint {
  if (shares === 0n) return 0n;
  return 1n + ((shares - 2n) * 9999n) / 262142n;
}

/** blkio.weight [10..1000] → io.weight [1..10000]: 1 + ((weight - 10) * 9999) / 990 (integer division). */
export function blkioToIoWeight(weight: bigint): bigint {
  if (weight === 0n) return 0n;
  return 1n + ((weight - 10n) * 9999n) / 990n;
}

/**
 * OCI memory.swap (a v1 memory+swap limit) → memory.swap.max (swap alone).
 * Returns null when nothing is to be written, -1n for "max".
 * - limit -1 with swap unset → unlimited swap too (as on v1, where memsw follows);
 * - swap -1 → "max"; swap unset (0/undefined) → not written;
 * - otherwise swap - limit, which needs a finite limit and swap >= limit.
 */
export function swapToV2(swap: bigint, limit: bigint): bigint | null | string {
  if (limit === -1n && swap === 0n) return -1n;
  if (swap === -1n) return -1n;
  if (swap === 0n) return null;
  if (limit === 0n || limit === -1n) return 'a swap limit needs a finite memory limit (linux.resources.memory.limit)';
  if (swap < limit) return `memory+swap limit ${swap} must be >= memory limit ${limit}`;
  return swap - limit;
}
