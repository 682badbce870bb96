// Apply step for seccomp: builds the planned filter through libseccomp and
// loads it into the calling thread. Runs in the container's init (a forked,
// single-threaded Node process) as late as possible before execve; everything
// is synchronous.
//
// no_new_privs is left to process.noNewPrivileges (libseccomp would set it on
// load by default): without it, loading needs CAP_SYS_ADMIN, so the caller
// loads before dropping capabilities in that case, as runc does.
import * as sc from '../sys/seccomp';
import { SeccompError } from '../sys/seccomp';
import { EEXIST } from '../sys/errno';
import { SCMP_FLTATR, SECCOMP_ACTIONS, flagInfo } from './seccomp-data';
import { wantsOptimize, type SeccompPlan } from './seccomp-plan';
import { ENOSYS_ACTION, enosysStub } from './seccomp-enosys';

/** libseccomp API level needed for SCMP_ACT_NOTIFY (user notification, libseccomp >= 2.5). */
const NOTIFY_API_LEVEL = 5;

export interface LoadOptions {
  /** Called for each syscall name libseccomp does not know (such rules are skipped). */
  onSkip?: (name: string, source: string) => void;
}

function libVersion(): string {
  try {
    const v = sc.version();
    return `${v.major}.${v.minor}.${v.micro}`;
  } catch {
    return '(unknown version)';
  }
}

function setAttrs(ctx: sc.FilterCtx, plan: SeccompPlan): void {
  // no_new_privs comes from process.noNewPrivileges, not from libseccomp.
  sc.attrSet(ctx, SCMP_FLTATR.CTL_NNP, 0, 'CTL_NNP');
  // Report the kernel's own errno on failure rather than ECANCELED (libseccomp >= 2.5).
  try { sc.attrSet(ctx, SCMP_FLTATR.API_SYSRAWRC, 1); } catch { /* older libseccomp */ }
  for (const a of plan.attrs) {
    try {
      sc.attrSet(ctx, a.attr, a.value, a.flag);
    } catch (e) {
      throw new Error(`linux.seccomp.flags: ${a.flag} is not supported by libseccomp ${libVersion()} or this kernel (${(e as Error).message})`);
    }
  }
  if (wantsOptimize(plan)) {
    try { sc.attrSet(ctx, SCMP_FLTATR.CTL_OPTIMIZE, 2); } catch { /* binary tree needs libseccomp >= 2.5 */ }
  }
}

function addArches(ctx: sc.FilterCtx, plan: SeccompPlan): void {
  const native = sc.archNative();
  for (const a of plan.architectures) {
    if (a.token === native) continue; // always in a new filter
    try {
      sc.archAdd(ctx, a.token, a.name);
    } catch (e) {
      if (e instanceof SeccompError && e.errno === EEXIST) continue;
      throw new Error(`linux.seccomp.architectures: ${a.name} is not supported by libseccomp ${libVersion()} (${(e as Error).message})`);
    }
  }
}

function addRules(ctx: sc.FilterCtx, plan: SeccompPlan, opts: LoadOptions): void {
  for (const r of plan.rules) {
    const nr = sc.syscallResolveName(r.name);
    if (nr === sc.NR_SCMP_ERROR) {
      opts.onSkip?.(r.name, r.source);
      continue;
    }
    sc.ruleAddArray(ctx, r.action, nr, r.args, `${r.name} (${r.source})`);
  }
}

function checkApi(plan: SeccompPlan): void {
  if (plan.notify && sc.apiGet() < NOTIFY_API_LEVEL) {
    throw new Error(`linux.seccomp: SCMP_ACT_NOTIFY needs libseccomp >= 2.5 and Linux >= 5.0 (libseccomp ${libVersion()}, API level ${sc.apiGet()})`);
  }
}

/** A filter context with everything in the plan added; the caller releases it. */
function build(plan: SeccompPlan, opts: LoadOptions): sc.FilterCtx {
  checkApi(plan);
  const ctx = sc.init(plan.defaultAction);
  try {
    setAttrs(ctx, plan);
    addArches(ctx, plan);
    addRules(ctx, plan, opts);
    return ctx;
  } catch (e) {
    sc.release(ctx);
    throw e;
  }
}

/**
 * Loads libseccomp and builds the filter without loading it, so that problems
 * (missing libseccomp, unsupported architecture or flag, rejected rule) show up
 * at create time. Call it in the runtime before forking the init: the init
 * inherits the opened library, which it could not open after pivot_root (the
 * container's rootfs usually has no libseccomp). Returns the syscall names
 * libseccomp does not know (their rules are skipped).
 */
export function prepareSeccomp(plan: SeccompPlan): string[] {
  sc.preload();
  const skipped: string[] = [];
  const ctx = build(plan, { onSkip: (name) => { if (!skipped.includes(name)) skipped.push(name); } });
  sc.release(ctx);
  return skipped;
}

/**
 * Builds and loads the filter into the calling thread. Returns the
 * user-notification listener fd when some rule uses SCMP_ACT_NOTIFY (the
 * caller passes it on), else null. Throws a SeccompError (or an Error naming
 * the config field) on failure; nothing is loaded then.
 */
export function loadSeccomp(plan: SeccompPlan, opts: LoadOptions = {}): number | null {
  const ctx = build(plan, opts);
  let fd: number | null;
  try {
    sc.loadFilter(ctx);
    fd = plan.notify ? sc.notifyFd(ctx) : null;
  } finally {
    sc.release(ctx);
  }
  loadEnosysStub(plan);
  return fd;
}

/**
 * The ENOSYS stub (seccomp-enosys.ts) as a second filter over the native architecture,
 * loaded after the profile's: the kernel runs every filter and, between two ERRNO
 * results, keeps the newest filter's, so the stub's ENOSYS replaces the default errno
 * while a stricter result of the profile (KILL, TRAP) still wins. Other architectures
 * and every other syscall pass the stub untouched.
 */
function loadEnosysStub(plan: SeccompPlan): void {
  // Loading it needs seccomp(2), which the profile (now in force) must allow; runc patches
  // the stub into its one filter instead, which ocits cannot do through libseccomp.
  if (!plan.rules.some((r) => r.name === 'seccomp' && r.args.length === 0 && r.action === SECCOMP_ACTIONS.SCMP_ACT_ALLOW.value)) return;
  const nrs = enosysStub(plan.defaultAction, plan.rules.map((r) => sc.syscallResolveName(r.name)));
  if (nrs.length === 0) return;
  const allow = SECCOMP_ACTIONS.SCMP_ACT_ALLOW.value;
  const ctx = sc.init(allow);
  try {
    sc.attrSet(ctx, SCMP_FLTATR.CTL_NNP, 0, 'CTL_NNP');
    sc.attrSet(ctx, SCMP_FLTATR.ACT_BADARCH, allow, 'ACT_BADARCH');
    if (plan.attrs.some((a) => a.attr === SCMP_FLTATR.CTL_TSYNC)) sc.attrSet(ctx, SCMP_FLTATR.CTL_TSYNC, 1, 'CTL_TSYNC');
    for (const nr of nrs) sc.ruleAddArray(ctx, ENOSYS_ACTION, nr, [], `ENOSYS stub for syscall ${nr}`);
    sc.loadFilter(ctx);
  } finally {
    sc.release(ctx);
  }
}

/**
 * Whether a known SECCOMP_FILTER_FLAG_* can be used with this libseccomp and
 * kernel: the attribute it maps to can be set on a fresh filter (libseccomp
 * checks its version and the kernel's API level). For seccompFeatures().
 */
export function seccompFlagSupported(flag: string): boolean {
  const info = flagInfo(flag);
  if (!info || !sc.available()) return false;
  let ctx: sc.FilterCtx;
  try {
    ctx = sc.init(SECCOMP_ACTIONS.SCMP_ACT_ALLOW.value);
  } catch {
    return false;
  }
  try {
    sc.attrSet(ctx, info.attr, 1);
    return true;
  } catch {
    return false;
  } finally {
    sc.release(ctx);
  }
}

/** Is libseccomp usable here? */
export function seccompAvailable(): boolean {
  return sc.available();
}
