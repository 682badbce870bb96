// Linux security module labels (AppArmor profile, SELinux process and mount
// labels). ocits applies none of them, so a config asking for one is refused
// rather than run unconfined (fail closed, as runc refuses them on a host
// without the module). The reason names whether the host has the module.
import * as fs from 'node:fs';

export interface HostLsm {
  apparmor: boolean;
  selinux: boolean;
}

export interface LsmRequest {
  /** JSON pointer (or CLI flag) and the requested value. */
  where: string;
  value: string | undefined;
  module: 'apparmor' | 'selinux';
}

/** What the running kernel has enabled: AppArmor's module parameter, a mounted selinuxfs. */
export function hostLsm(read: (p: string) => string | null = readOrNull): HostLsm {
  return {
    apparmor: (read('/sys/module/apparmor/parameters/enabled') ?? '').trim() === 'Y',
    selinux: read('/sys/fs/selinux/enforce') !== null,
  };
}

function readOrNull(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

const NAME = { apparmor: 'AppArmor', selinux: 'SELinux' } as const;

/** The first request that cannot be honoured, as "<where>: <why>"; null when none is set. */
export function lsmRefusal(requests: readonly LsmRequest[], host: HostLsm): string | null {
  for (const r of requests) {
    if (r.value === undefined || r.value === '') continue;
    const name = NAME[r.module];
    const why = host[r.module]
      ? `${name} is enabled on this host but ocits cannot apply ${name} labels`
      : `${name} is not enabled on this host`;
    return `${r.where}: ${JSON.stringify(r.value)} cannot be applied: ${why}; remove it to run unconfined`;
  }
  return null;
}

/** The label requests of a config (process labels and the mount label). */
export function specLsmRequests(spec: { process?: { apparmorProfile?: string; selinuxLabel?: string }; linux?: { mountLabel?: string } }): LsmRequest[] {
  return [
    { where: '/process/apparmorProfile', value: spec.process?.apparmorProfile, module: 'apparmor' },
    { where: '/process/selinuxLabel', value: spec.process?.selinuxLabel, module: 'selinux' },
    { where: '/linux/mountLabel', value: spec.linux?.mountLabel, module: 'selinux' },
  ];
}
