// Thin koffi bindings to libseccomp.so.2, loaded on first use. Each wrapper
// makes one library call; a negative result (libseccomp returns -errno)
// becomes a SeccompError naming the function and the errno. No policy here.
import type * as Koffi from 'koffi';
import { endianness } from 'node:os';
import { SysError } from './errno';
import { loadKoffi } from './koffi';

type Fn = (...args: any[]) => any;

/** An opaque scmp_filter_ctx. */
export type FilterCtx = unknown;

export const LIBSECCOMP = 'libseccomp.so.2';

/** __NR_SCMP_ERROR: what the resolve functions return for an unknown name. */
export const NR_SCMP_ERROR = -1;

// errnos libseccomp reports that src/sys/errno.ts has no name for.
const EXTRA_ERRNOS: Record<number, [string, string]> = {
  33: ['EDOM', 'numerical argument out of domain'],
  125: ['ECANCELED', 'operation canceled'],
};

/** A failed libseccomp call: `syscall` holds the function name, `path` what it was about. */
export class SeccompError extends SysError {
  constructor(fn: string, errno: number, what?: string) {
    super(fn, errno, what);
    this.name = 'SeccompError';
    const extra = EXTRA_ERRNOS[errno];
    if (extra) {
      (this as { code: string }).code = extra[0];
      this.message = `${fn}${what !== undefined ? ' ' + what : ''}: ${extra[1]}`;
    }
  }
}

let koffi: typeof Koffi;
let lib: Koffi.LibraryHandle | undefined;
const cache = new Map<string, Fn>();

function load(): Koffi.LibraryHandle {
  if (!lib) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    koffi = loadKoffi();
    try {
      lib = koffi.load(LIBSECCOMP);
    } catch (e) {
      throw new Error(`seccomp: cannot load ${LIBSECCOMP} (is libseccomp2 installed?): ${(e as Error).message}`);
    }
  }
  return lib;
}

const PROTOS: Record<string, string> = {
  seccomp_version: 'const void *seccomp_version(void)',
  seccomp_api_get: 'unsigned int seccomp_api_get(void)',
  seccomp_init: 'void *seccomp_init(uint32_t def_action)',
  seccomp_release: 'void seccomp_release(void *ctx)',
  seccomp_arch_native: 'uint32_t seccomp_arch_native(void)',
  seccomp_arch_resolve_name: 'uint32_t seccomp_arch_resolve_name(const char *name)',
  seccomp_arch_exist: 'int seccomp_arch_exist(void *ctx, uint32_t token)',
  seccomp_arch_add: 'int seccomp_arch_add(void *ctx, uint32_t token)',
  seccomp_attr_set: 'int seccomp_attr_set(void *ctx, int attr, uint32_t value)',
  seccomp_attr_get: 'int seccomp_attr_get(void *ctx, int attr, _Out_ uint32_t *value)',
  seccomp_syscall_resolve_name: 'int seccomp_syscall_resolve_name(const char *name)',
  seccomp_syscall_resolve_name_arch: 'int seccomp_syscall_resolve_name_arch(uint32_t token, const char *name)',
  seccomp_rule_add_array: 'int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const void *arg_array)',
  seccomp_load: 'int seccomp_load(void *ctx)',
  seccomp_notify_fd: 'int seccomp_notify_fd(void *ctx)',
  seccomp_export_pfc: 'int seccomp_export_pfc(void *ctx, int fd)',
};

function fn(name: string): Fn {
  let f = cache.get(name);
  if (!f) {
    f = load().func(PROTOS[name]) as Fn;
    cache.set(name, f);
  }
  return f;
}

/**
 * Opens the library and binds every function now. The init must do this (or
 * inherit it from the runtime through fork) before it enters the container's
 * rootfs, where libseccomp.so.2 is usually absent.
 */
export function preload(): void {
  load();
  for (const name of Object.keys(PROTOS)) {
    try { fn(name); } catch { /* absent from an old libseccomp: fails again when used */ }
  }
}

function check(name: string, r: number, what?: string): number {
  if (r < 0) throw new SeccompError(name, -r, what);
  return r;
}

/** Is libseccomp present (without throwing)? */
export function available(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

export interface SeccompVersion { major: number; minor: number; micro: number }

export function version(): SeccompVersion {
  const p = fn('seccomp_version')();
  const [major, minor, micro] = koffi.decode(p, 'uint32_t', 3) as number[];
  return { major, minor, micro };
}

/** The API level: what this libseccomp and kernel support (0 before libseccomp 2.4). */
export function apiGet(): number {
  try {
    return fn('seccomp_api_get')();
  } catch {
    return 0;
  }
}

export function init(defAction: number): FilterCtx {
  const ctx = fn('seccomp_init')(defAction >>> 0);
  // libseccomp gives no errno here: a NULL context means a bad action (or no memory).
  if (!ctx) throw new SeccompError('seccomp_init', 22, `action 0x${(defAction >>> 0).toString(16)}`);
  return ctx;
}

export function release(ctx: FilterCtx): void {
  fn('seccomp_release')(ctx);
}

export function archNative(): number {
  return fn('seccomp_arch_native')();
}

/** Architecture token for a libseccomp arch name ("x86_64"); 0 when unknown. */
export function archResolveName(name: string): number {
  return fn('seccomp_arch_resolve_name')(name);
}

/** 0 when the architecture is in the filter; throws (EEXIST) when it is not. */
export function archExist(ctx: FilterCtx, token: number, what?: string): void {
  check('seccomp_arch_exist', fn('seccomp_arch_exist')(ctx, token >>> 0), what);
}

/** Throws EEXIST when the architecture is already in the filter. */
export function archAdd(ctx: FilterCtx, token: number, what?: string): void {
  check('seccomp_arch_add', fn('seccomp_arch_add')(ctx, token >>> 0), what);
}

export function attrSet(ctx: FilterCtx, attr: number, value: number, what?: string): void {
  check('seccomp_attr_set', fn('seccomp_attr_set')(ctx, attr, value >>> 0), what);
}

export function attrGet(ctx: FilterCtx, attr: number, what?: string): number {
  const out = [0];
  check('seccomp_attr_get', fn('seccomp_attr_get')(ctx, attr, out), what);
  return out[0];
}

/** Native syscall number for a name; NR_SCMP_ERROR (-1) when unknown. Pseudo numbers (< -1) are valid. */
export function syscallResolveName(name: string): number {
  return fn('seccomp_syscall_resolve_name')(name);
}

/** Syscall number for a name on an architecture; NR_SCMP_ERROR (-1) when unknown. */
export function syscallResolveNameArch(token: number, name: string): number {
  return fn('seccomp_syscall_resolve_name_arch')(token >>> 0, name);
}

export interface ArgCmp { index: number; op: number; value: bigint; valueTwo: bigint }

const ARG_CMP_SIZE = 24; // struct scmp_arg_cmp { unsigned int arg; enum op; uint64 datum_a, datum_b }

/** struct scmp_arg_cmp[] in native byte order. */
export function encodeArgCmps(args: ArgCmp[]): Buffer {
  const buf = Buffer.alloc(Math.max(args.length, 1) * ARG_CMP_SIZE);
  const le = endianness() === 'LE';
  args.forEach((a, i) => {
    const o = i * ARG_CMP_SIZE;
    if (le) {
      buf.writeUInt32LE(a.index, o);
      buf.writeUInt32LE(a.op, o + 4);
      buf.writeBigUInt64LE(a.value, o + 8);
      buf.writeBigUInt64LE(a.valueTwo, o + 16);
    } else {
      buf.writeUInt32BE(a.index, o);
      buf.writeUInt32BE(a.op, o + 4);
      buf.writeBigUInt64BE(a.value, o + 8);
      buf.writeBigUInt64BE(a.valueTwo, o + 16);
    }
  });
  return buf;
}

/** seccomp_rule_add_array: `syscall` is the native number (libseccomp translates for other arches). */
export function ruleAddArray(ctx: FilterCtx, action: number, syscall: number, args: ArgCmp[], what?: string): void {
  const f = fn('seccomp_rule_add_array');
  check('seccomp_rule_add_array', f(ctx, action >>> 0, syscall, args.length, args.length ? encodeArgCmps(args) : null), what);
}

export function loadFilter(ctx: FilterCtx): void {
  check('seccomp_load', fn('seccomp_load')(ctx));
}

/** The user-notification listener fd of a loaded filter that has SCMP_ACT_NOTIFY rules. */
export function notifyFd(ctx: FilterCtx): number {
  return check('seccomp_notify_fd', fn('seccomp_notify_fd')(ctx));
}

/** Writes the filter as readable pseudo-code to fd (debugging). */
export function exportPfc(ctx: FilterCtx, fd: number): void {
  check('seccomp_export_pfc', fn('seccomp_export_pfc')(ctx, fd));
}
