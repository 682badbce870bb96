// cgroups for an unprivileged runtime: only directories the caller may write
// (a delegated cgroup2 subtree, systemd's Delegate=yes or one chowned to it),
// nothing at all otherwise. Limits asked where no cgroup could be made fail
// before anything is created, with runc's message; device rules are not
// applied (a user namespace cannot mknod, and the caller reaches only the
// devices it could on the host).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Resources } from '../spec/types';
import { CgroupError } from './errors';
import { cgroupManager, type CgroupManager, type CgroupOptions } from './manager';

/** runc's controller names for the resources that set limits (devices excluded). */
const LIMIT_CONTROLLERS: Readonly<Record<string, string>> = {
  memory: 'memory', cpu: 'cpu', pids: 'pids', blockIO: 'blkio', hugepageLimits: 'hugetlb',
  network: 'net_cls', rdma: 'rdma', unified: 'unified',
};

function hasValue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.values(v as object).some(hasValue);
  return true;
}

/** The controllers whose limits the resources ask for (pure). */
export function askedLimits(resources: Resources | undefined): string[] {
  if (!resources) return [];
  return Object.entries(resources).filter(([k, v]) => k in LIMIT_CONTROLLERS && hasValue(v)).map(([k]) => LIMIT_CONTROLLERS[k]);
}

/** The container's directory can be made and joined: it, or its nearest existing ancestor, is writable by us. */
export function usableCgroupDir(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(d)) {
      try {
        fs.accessSync(d, fs.constants.W_OK);
        if (d === dir) fs.accessSync(path.join(d, 'cgroup.procs'), fs.constants.W_OK);
        return true;
      } catch {
        return false;
      }
    }
    if (d === path.dirname(d)) return false;
  }
}

export function rootlessCgroupManager(opts: CgroupOptions, resources: Resources | undefined): CgroupManager {
  const inner = cgroupManager({ usable: usableCgroupDir, ...opts });
  const asked = askedLimits(resources);
  if (asked.length > 0 && inner.paths().length === 0) {
    // runc's words, with the reason.
    throw new CgroupError(`cannot set ${asked[0]} limit: container could not join or create cgroup ` +
      '(rootless: no cgroup delegated to this user; set linux.cgroupsPath to a cgroup2 directory you own, or ask for no limits)');
  }
  return {
    get layout() { return inner.layout; },
    create: () => inner.create(),
    apply: (r) => inner.apply(r && { ...r, devices: undefined }),
    join: (pid, sub) => inner.join(pid, sub),
    paths: () => inner.paths(),
    pids: () => inner.pids(),
    freeze: () => inner.freeze(),
    thaw: () => inner.thaw(),
    isFrozen: () => inner.isFrozen(),
    stats: () => inner.stats(),
    destroy: () => inner.destroy(),
  };
}
