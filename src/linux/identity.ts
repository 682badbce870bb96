// Apply step for the process's identity: rlimits, no_new_privs, user and
// groups, the five capability sets, umask. Runs in the container's init,
// after the rootfs is in place and just before execve.
import * as fs from 'node:fs';
import * as libc from '../sys/libc';
import type { SysError } from '../sys/errno';

const PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2;

export interface CapabilityMasks { bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint }

export interface IdentityPlan {
  uid: number;
  gid: number;
  additionalGids: number[];
  umask?: number;
  rlimits: { resource: number; soft: bigint; hard: bigint }[];
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
  /** Absent: leave the capabilities as they are. */
  caps?: CapabilityMasks;
  /** setgroups(2) is denied in this user namespace. */
  setgroupsDenied: boolean;
}

export function lastCap(): number {
  try { return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()); } catch { return 40; }
}

function capData(c: CapabilityMasks): Uint32Array {
  const lo = (m: bigint) => Number(m & 0xffffffffn);
  const hi = (m: bigint) => Number((m >> 32n) & 0xffffffffn);
  return new Uint32Array([lo(c.effective), lo(c.permitted), lo(c.inheritable), hi(c.effective), hi(c.permitted), hi(c.inheritable)]);
}

export function applyRlimits(plan: IdentityPlan): void {
  for (const r of plan.rlimits) libc.prlimit(r.resource, r.soft, r.hard);
}

export function applyOomScoreAdj(plan: IdentityPlan): void {
  if (plan.oomScoreAdj !== undefined) fs.writeFileSync('/proc/self/oom_score_adj', String(plan.oomScoreAdj));
}

/**
 * The process's stdio (its pty slave, pipes) handed to the user it becomes, keeping the group
 * (a pty's is devpts's gid=5, tty), as runc does: without it a non-root process cannot reopen
 * its own terminal. /dev/null and what the user already owns are left alone, and so is what
 * cannot be changed here (an owner or gid not mapped in the user namespace, a read-only /dev).
 */
export function giveStdioTo(uid: number): void {
  let nullRdev = -1;
  try { nullRdev = fs.statSync('/dev/null').rdev; } catch { /* no /dev/null in this rootfs */ }
  for (let fd = 0; fd < 3; fd++) {
    let st: fs.Stats;
    try { st = fs.fstatSync(fd); } catch { continue; }
    if (st.uid === uid || (st.isCharacterDevice() && st.rdev === nullRdev)) continue;
    try {
      libc.fchown(fd, uid, st.gid);
    } catch (e) {
      const code = (e as SysError).code;
      if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EROFS') throw e;
    }
  }
}

export function applyIdentity(plan: IdentityPlan): void {
  giveStdioTo(plan.uid);
  if (plan.noNewPrivileges) libc.prctl(PR_SET_NO_NEW_PRIVS, 1);
  const caps = plan.caps;
  if (caps) {
    const last = lastCap();
    for (let c = 0; c <= last; c++) {
      if (!(caps.bounding & (1n << BigInt(c)))) libc.prctl(PR_CAPBSET_DROP, c);
    }
    libc.prctl(PR_SET_KEEPCAPS, 1);
  }
  if (!plan.setgroupsDenied) libc.setgroups(plan.additionalGids);
  else if (plan.additionalGids.length > 0) throw new Error('additionalGids cannot be set: setgroups is denied in this user namespace');
  libc.setresgid(plan.gid, plan.gid, plan.gid);
  libc.setresuid(plan.uid, plan.uid, plan.uid);
  if (caps) {
    libc.prctl(PR_SET_KEEPCAPS, 0);
    libc.capset(capData(caps));
    const last = lastCap();
    for (let c = 0; c <= last; c++) {
      if (!(caps.ambient & (1n << BigInt(c)))) continue;
      // The kernel raises only what is also inheritable; runc's default config asks for ambient
      // caps without inheritable ones, and runc ignores the refusal: so do we.
      try { libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c); } catch (e) { if ((e as SysError).code !== 'EPERM') throw e; }
    }
  }
  if (plan.umask !== undefined) libc.umask(plan.umask);
  else libc.umask(0o022);
}
