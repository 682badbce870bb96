// Config checks that depend on this host, made by `create` before anything is
// built: settings ocits cannot apply here, or that would reach outside the
// container's namespaces, fail closed with one line naming the field.
import * as fs from 'node:fs';
import type { Spec } from '../spec/types';
import { ConfigError } from '../spec/errors';
import { ptr } from '../spec/errors';
import { hostLsm, lsmRefusal, specLsmRequests } from '../linux/lsm';
import { sysctlRefusal } from '../linux/sysctl-policy';

function sameFile(a: string, b: string): boolean {
  try {
    const x = fs.statSync(a), y = fs.statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Throws a ConfigError for the first host-dependent problem of the config. */
export function checkHostPolicy(spec: Spec, file = 'config.json'): void {
  const lsm = lsmRefusal(specLsmRequests(spec), hostLsm());
  if (lsm) throw new ConfigError(`${file}: ${lsm}`);
  const namespaces = new Map((spec.linux?.namespaces ?? []).map((n) => [n.type, n.path ?? ''] as [string, string]));
  const ctx = { namespaces, isHostNetns: (p: string) => sameFile(p, '/proc/self/ns/net') };
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const why = sysctlRefusal(key, ctx);
    if (why) throw ConfigError.at(file, ptr('linux', 'sysctl', key), why);
  }
}
