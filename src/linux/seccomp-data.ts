// Seccomp tables as data: the OCI names of actions, comparison operators,
// architectures and filter flags, with the numbers libseccomp wants for them.
// Pure (no koffi): the plan and the `features` command read these.

/** How an action takes the errno/trace data of its return value. */
export type ActionData = 'none' | 'errno' | 'trace';

export interface ActionInfo {
  /** libseccomp action value without data (the SCMP_ACT_* / SECCOMP_RET_* high bits). */
  value: number;
  /** 'errno' and 'trace' carry 16 bits of data (errnoRet; EPERM when absent). */
  data: ActionData;
}

/** SCMP_ACT_* → libseccomp action value. SCMP_ACT_KILL is the thread kill (legacy name). */
export const SECCOMP_ACTIONS: Readonly<Record<string, ActionInfo>> = Object.freeze({
  SCMP_ACT_KILL: { value: 0x00000000, data: 'none' },
  SCMP_ACT_KILL_THREAD: { value: 0x00000000, data: 'none' },
  SCMP_ACT_KILL_PROCESS: { value: 0x80000000, data: 'none' },
  SCMP_ACT_TRAP: { value: 0x00030000, data: 'none' },
  SCMP_ACT_ERRNO: { value: 0x00050000, data: 'errno' },
  SCMP_ACT_NOTIFY: { value: 0x7fc00000, data: 'none' },
  SCMP_ACT_TRACE: { value: 0x7ff00000, data: 'trace' },
  SCMP_ACT_LOG: { value: 0x7ffc0000, data: 'none' },
  SCMP_ACT_ALLOW: { value: 0x7fff0000, data: 'none' },
});

/** errno used by SCMP_ACT_ERRNO / SCMP_ACT_TRACE when no errnoRet is given. */
export const DEFAULT_ERRNO_RET = 1; // EPERM

/** Largest errnoRet: the data field of a seccomp return value is 16 bits. */
export const MAX_ERRNO_RET = 0xffff;

/** SCMP_CMP_* → enum scmp_compare. */
export const SECCOMP_OPERATORS: Readonly<Record<string, number>> = Object.freeze({
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
});

/** Syscalls take at most six arguments: index 0..5. */
export const MAX_ARG_INDEX = 5;

// AUDIT_ARCH_* building blocks (linux/audit.h, elf.h).
const A64 = 0x80000000; // __AUDIT_ARCH_64BIT
const LE = 0x40000000; // __AUDIT_ARCH_LE
const N32 = 0x20000000; // __AUDIT_ARCH_CONVENTION_MIPS64_N32
const u32 = (n: number): number => n >>> 0;

/**
 * SCMP_ARCH_* → libseccomp architecture token (the AUDIT_ARCH value; x32 uses
 * libseccomp's own token, EM_X86_64|LE, to tell it apart from x86_64).
 */
export const SECCOMP_ARCHES: Readonly<Record<string, number>> = Object.freeze({
  SCMP_ARCH_X86: u32(3 | LE),
  SCMP_ARCH_X86_64: u32(62 | A64 | LE),
  SCMP_ARCH_X32: u32(62 | LE),
  SCMP_ARCH_ARM: u32(40 | LE),
  SCMP_ARCH_AARCH64: u32(183 | A64 | LE),
  SCMP_ARCH_MIPS: u32(8),
  SCMP_ARCH_MIPS64: u32(8 | A64),
  SCMP_ARCH_MIPS64N32: u32(8 | A64 | N32),
  SCMP_ARCH_MIPSEL: u32(8 | LE),
  SCMP_ARCH_MIPSEL64: u32(8 | A64 | LE),
  SCMP_ARCH_MIPSEL64N32: u32(8 | A64 | LE | N32),
  SCMP_ARCH_PPC: u32(20),
  SCMP_ARCH_PPC64: u32(21 | A64),
  SCMP_ARCH_PPC64LE: u32(21 | A64 | LE),
  SCMP_ARCH_S390: u32(22),
  SCMP_ARCH_S390X: u32(22 | A64),
  SCMP_ARCH_PARISC: u32(15),
  SCMP_ARCH_PARISC64: u32(15 | A64),
  SCMP_ARCH_RISCV64: u32(243 | A64 | LE),
  SCMP_ARCH_LOONGARCH64: u32(258 | A64 | LE),
  SCMP_ARCH_M68K: u32(4),
  SCMP_ARCH_SH: u32(42 | LE),
  SCMP_ARCH_SHEB: u32(42),
});

/** Node's process.arch → the SCMP_ARCH_* name of the native architecture. */
export const NATIVE_ARCH_NAMES: Readonly<Record<string, string>> = Object.freeze({
  ia32: 'SCMP_ARCH_X86',
  x64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  mips: 'SCMP_ARCH_MIPS',
  mipsel: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64LE',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
});

/** enum scmp_filter_attr values used by ocits. */
export const SCMP_FLTATR = Object.freeze({
  ACT_DEFAULT: 1,
  ACT_BADARCH: 2,
  CTL_NNP: 3,
  CTL_TSYNC: 4,
  API_TSKIP: 5,
  CTL_LOG: 6,
  CTL_SSB: 7,
  CTL_OPTIMIZE: 8,
  API_SYSRAWRC: 9,
  CTL_WAITKILL: 10,
});

export interface FlagInfo {
  /** libseccomp filter attribute that turns the flag on (set to 1). */
  attr: number;
  /** The SECCOMP_FILTER_FLAG_* bit the kernel sees. */
  bit: number;
  /** First libseccomp version (major, minor) with the attribute. */
  since: [number, number];
}

/** SECCOMP_FILTER_FLAG_* → the libseccomp attribute that sets it. */
export const SECCOMP_FLAGS: Readonly<Record<string, FlagInfo>> = Object.freeze({
  SECCOMP_FILTER_FLAG_TSYNC: { attr: SCMP_FLTATR.CTL_TSYNC, bit: 1 << 0, since: [2, 2] },
  SECCOMP_FILTER_FLAG_LOG: { attr: SCMP_FLTATR.CTL_LOG, bit: 1 << 1, since: [2, 4] },
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: { attr: SCMP_FLTATR.CTL_SSB, bit: 1 << 2, since: [2, 5] },
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: { attr: SCMP_FLTATR.CTL_WAITKILL, bit: 1 << 5, since: [2, 6] },
});

const has = (table: object, key: string): boolean => Object.prototype.hasOwnProperty.call(table, key);

export function actionInfo(name: string): ActionInfo | undefined {
  return has(SECCOMP_ACTIONS, name) ? SECCOMP_ACTIONS[name] : undefined;
}

export function operatorValue(name: string): number | undefined {
  return has(SECCOMP_OPERATORS, name) ? SECCOMP_OPERATORS[name] : undefined;
}

export function archToken(name: string): number | undefined {
  return has(SECCOMP_ARCHES, name) ? SECCOMP_ARCHES[name] : undefined;
}

export function flagInfo(name: string): FlagInfo | undefined {
  return has(SECCOMP_FLAGS, name) ? SECCOMP_FLAGS[name] : undefined;
}

/** The libseccomp action value for an action name and its optional errnoRet. */
export function actionValue(info: ActionInfo, errnoRet?: number): number {
  if (info.data === 'none') return info.value;
  return (info.value | ((errnoRet ?? DEFAULT_ERRNO_RET) & 0xffff)) >>> 0;
}

/** SCMP_ARCH_* name of the architecture Node runs on, if known. */
export function nativeArchName(arch: string = process.arch): string | undefined {
  return has(NATIVE_ARCH_NAMES, arch) ? NATIVE_ARCH_NAMES[arch] : undefined;
}

export interface SeccompFeatures {
  enabled: boolean;
  actions: string[];
  operators: string[];
  archs: string[];
  knownFlags: string[];
  supportedFlags: string[];
}

/**
 * What the `features` command reports under linux.seccomp. `supported` tells
 * whether a known flag works with this libseccomp and kernel; pass
 * `seccompFlagSupported` from src/linux/seccomp.ts (the default, for pure
 * callers, reports none).
 */
export function seccompFeatures(supported: (flag: string) => boolean = () => false): SeccompFeatures {
  const knownFlags = Object.keys(SECCOMP_FLAGS);
  return {
    enabled: true,
    actions: Object.keys(SECCOMP_ACTIONS).sort(),
    operators: Object.keys(SECCOMP_OPERATORS).sort(),
    archs: Object.keys(SECCOMP_ARCHES).sort(),
    knownFlags,
    supportedFlags: knownFlags.filter((f) => supported(f)),
  };
}
