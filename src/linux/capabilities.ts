// Linux capability names and numbers (include/uapi/linux/capability.h), and the
// conversions needed to apply the OCI process.capabilities sets. Pure.

/** Capability numbers in kernel order; index == capability number. */
export const ALL_CAPS: readonly string[] = Object.freeze([
  'CAP_CHOWN', // 0
  'CAP_DAC_OVERRIDE', // 1
  'CAP_DAC_READ_SEARCH', // 2
  'CAP_FOWNER', // 3
  'CAP_FSETID', // 4
  'CAP_KILL', // 5
  'CAP_SETGID', // 6
  'CAP_SETUID', // 7
  'CAP_SETPCAP', // 8
  'CAP_LINUX_IMMUTABLE', // 9
  'CAP_NET_BIND_SERVICE', // 10
  'CAP_NET_BROADCAST', // 11
  'CAP_NET_ADMIN', // 12
  'CAP_NET_RAW', // 13
  'CAP_IPC_LOCK', // 14
  'CAP_IPC_OWNER', // 15
  'CAP_SYS_MODULE', // 16
  'CAP_SYS_RAWIO', // 17
  'CAP_SYS_CHROOT', // 18
  'CAP_SYS_PTRACE', // 19
  'CAP_SYS_PACCT', // 20
  'CAP_SYS_ADMIN', // 21
  'CAP_SYS_BOOT', // 22
  'CAP_SYS_NICE', // 23
  'CAP_SYS_RESOURCE', // 24
  'CAP_SYS_TIME', // 25
  'CAP_SYS_TTY_CONFIG', // 26
  'CAP_MKNOD', // 27
  'CAP_LEASE', // 28
  'CAP_AUDIT_WRITE', // 29
  'CAP_AUDIT_CONTROL', // 30
  'CAP_SETFCAP', // 31
  'CAP_MAC_OVERRIDE', // 32
  'CAP_MAC_ADMIN', // 33
  'CAP_SYSLOG', // 34
  'CAP_WAKE_ALARM', // 35
  'CAP_BLOCK_SUSPEND', // 36
  'CAP_AUDIT_READ', // 37
  'CAP_PERFMON', // 38
  'CAP_BPF', // 39
  'CAP_CHECKPOINT_RESTORE', // 40
]);

/** Highest capability number known to this table (CAP_LAST_CAP). */
export const lastCap: number = ALL_CAPS.length - 1;

/** Name → number. */
export const CAP_NUMBERS: ReadonlyMap<string, number> = new Map(ALL_CAPS.map((n, i) => [n, i] as [string, number]));

/** _LINUX_CAPABILITY_VERSION_3, the header version used with capget/capset (two 32-bit words per set). */
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/** Number of a capability name ("CAP_SYS_ADMIN"), or undefined if unknown. */
export function capNumber(name: string): number | undefined {
  return CAP_NUMBERS.get(name);
}

/** Name of a capability number, or undefined if unknown. */
export function capName(n: number): string | undefined {
  return ALL_CAPS[n];
}

export interface CapsToMaskOptions {
  /**
   * Called for an unknown name instead of throwing (runc warns and ignores names the
   * running kernel does not know). When absent, unknown names throw.
   */
  onUnknown?: (name: string) => void;
  /** Highest capability supported by the running kernel (/proc/sys/kernel/cap_last_cap); names above it are "unknown". */
  kernelLastCap?: number;
}

/**
 * Convert a list of capability names into a bit mask (bit N = capability N).
 * `where` names the config location for errors, e.g. "/process/capabilities/bounding".
 */
export function capsToMask(names: readonly string[], where: string, opts: CapsToMaskOptions = {}): bigint {
  let mask = 0n;
  const limit = opts.kernelLastCap ?? lastCap;
  for (const name of names) {
    const n = typeof name === 'string' ? CAP_NUMBERS.get(name) : undefined;
    if (n === undefined || n > limit) {
      if (opts.onUnknown) {
        opts.onUnknown(String(name));
        continue;
      }
      throw new Error(`unknown capability "${String(name)}" in ${where}`);
    }
    mask |= 1n << BigInt(n);
  }
  return mask;
}

/** Inverse of capsToMask (ordered by number); bits beyond the table are ignored. */
export function maskToCaps(mask: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i <= lastCap; i++) if ((mask >> BigInt(i)) & 1n) out.push(ALL_CAPS[i]);
  return out;
}

/** Mask with every known capability (0..last) set. */
export function fullMask(last: number = lastCap): bigint {
  return (1n << BigInt(last + 1)) - 1n;
}

/** Split a 64-bit capability mask into the two 32-bit words of struct __user_cap_data_struct[2]. */
export function maskToUserCapData(mask: bigint): [lo: number, hi: number] {
  const lo = Number(mask & 0xffffffffn);
  const hi = Number((mask >> 32n) & 0xffffffffn);
  return [lo, hi];
}

/** Join two 32-bit words (as returned by capget) back into a mask. */
export function userCapDataToMask(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Parsed OCI capability sets as masks. Absent sets are empty masks. */
export interface CapabilityMasks {
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

/** Convert all five OCI capability sets; errors name `/process/capabilities/<set>`. */
export function parseCapabilities(
  caps: { bounding?: string[]; effective?: string[]; inheritable?: string[]; permitted?: string[]; ambient?: string[] } | undefined,
  opts: CapsToMaskOptions = {},
): CapabilityMasks {
  const c = caps ?? {};
  const one = (set: keyof CapabilityMasks): bigint => capsToMask(c[set] ?? [], `/process/capabilities/${set}`, opts);
  return {
    bounding: one('bounding'),
    effective: one('effective'),
    inheritable: one('inheritable'),
    permitted: one('permitted'),
    ambient: one('ambient'),
  };
}

/**
 * The kernel raises an ambient capability only when it is both permitted and
 * inheritable (PR_CAP_AMBIENT_RAISE fails with EPERM otherwise). runc's own
 * default config lists ambient caps without inheritable ones: like runc, raise
 * what can be raised and report the rest instead of failing.
 */
export function splitAmbient(c: { ambient: bigint; permitted: bigint; inheritable: bigint }): { raise: bigint; skipped: bigint } {
  const raise = c.ambient & c.permitted & c.inheritable;
  return { raise, skipped: c.ambient & ~raise };
}
