// The ENOSYS stub, as runc has it: a syscall newer than every syscall the
// profile names (one libseccomp knows) gets ENOSYS instead of the default
// action's errno, so that libc falls back to an older call (clone3 → clone,
// faccessat2 → faccessat) as it would on an older kernel. Names libseccomp
// cannot resolve are the newest ones, so they land here too. Pure.
import { SECCOMP_ACTIONS } from './seccomp-data';

const ENOSYS = 38;
/** The action the stub's rules take. */
export const ENOSYS_ACTION = SECCOMP_ACTIONS.SCMP_ACT_ERRNO.value | ENOSYS;
/** Native syscall numbers above this are not stubbed (x86_64 and the generic table end below it). */
export const STUB_LAST_NR = 511;

/** A stub is pointless when the default already lets calls through, only logs them, or is ENOSYS. */
function permissive(defaultAction: number): boolean {
  return defaultAction === SECCOMP_ACTIONS.SCMP_ACT_ALLOW.value || defaultAction === SECCOMP_ACTIONS.SCMP_ACT_LOG.value
    || defaultAction === ENOSYS_ACTION;
}

/**
 * The native syscall numbers that get ERRNO(ENOSYS): every number above the largest
 * resolved one the profile names, up to STUB_LAST_NR. `resolved`: native numbers of the
 * profile's syscall names that libseccomp knows (negative = unknown, ignored).
 */
export function enosysStub(defaultAction: number, resolved: number[]): number[] {
  if (permissive(defaultAction)) return [];
  const known = resolved.filter((n) => n >= 0);
  if (known.length === 0) return [];
  const out: number[] = [];
  for (let nr = Math.max(...known) + 1; nr <= STUB_LAST_NR; nr++) out.push(nr);
  return out;
}
