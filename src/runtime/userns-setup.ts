// The runtime's side of a new user namespace: decide how its maps are written
// (linux/userns-maps.ts), check them before anything exists, and write them
// once the init's first stage has unshared it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { IdMapping } from '../spec/types';
import { checkHelperMappings, helperArgs, parseSubIds, planIdMapWrite, type Caller, type IdMapWritePlan } from '../linux/userns-maps';
import { mappingText, type InitPlan } from './init-plan';
import { checkRootlessOomScoreAdj, checkRootlessRlimits, parseHardLimits } from '../linux/rootless-limits';
import { RuntimeError } from './state';

export interface IdMapSetup extends IdMapWritePlan {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  newuidmap?: string;
  newgidmap?: string;
}

function findInPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/usr/sbin', '/bin'];
  for (const d of dirs) {
    const p = path.join(d, name);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

function readText(file: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch { return ''; }
}

function groupName(gid: number): string | undefined {
  for (const line of readText('/etc/group').split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && Number(f[2]) === gid) return f[0];
  }
  return undefined;
}

function caller(): Caller {
  const uid = process.geteuid?.() ?? 0, gid = process.getegid?.() ?? 0;
  let user: string | undefined;
  try { user = os.userInfo().username; } catch { /* no passwd entry */ }
  return { uid, gid, user, group: groupName(gid), privileged: uid === 0 };
}

/** Decides and checks how the maps will be written; throws a clear error for mappings the caller may not have. */
export function prepareIdMaps(uidMappings: IdMapping[], gidMappings: IdMapping[]): IdMapSetup {
  const who = caller();
  const plan = planIdMapWrite(uidMappings, gidMappings, who);
  const setup: IdMapSetup = { ...plan, uidMappings, gidMappings };
  if (plan.uid === 'helper') {
    setup.newuidmap = findInPath('newuidmap');
    const ranges = parseSubIds(readText('/etc/subuid'), [who.user, String(who.uid)]);
    checkHelperMappings('uid', uidMappings, who.uid, ranges, '/etc/subuid', !!setup.newuidmap);
  }
  if (plan.gid === 'helper') {
    setup.newgidmap = findInPath('newgidmap');
    // newgidmap reads /etc/subgid by the user's name (or uid), as for subuid.
    const ranges = parseSubIds(readText('/etc/subgid'), [who.user, String(who.uid)]);
    checkHelperMappings('gid', gidMappings, who.gid, ranges, '/etc/subgid', !!setup.newgidmap);
  }
  return setup;
}

function field(file: 'uid_map' | 'gid_map'): string {
  return file === 'uid_map' ? 'linux.uidMappings' : 'linux.gidMappings';
}

function writeDirect(pid: number, file: 'uid_map' | 'gid_map', maps: IdMapping[]): void {
  try {
    fs.writeFileSync(`/proc/${pid}/${file}`, mappingText(maps));
  } catch (e) {
    throw new RuntimeError(`writing ${file} of the container's user namespace: ${(e as Error).message} (${field(file)})`);
  }
}

function runHelper(helper: string, pid: number, file: 'uid_map' | 'gid_map', maps: IdMapping[]): void {
  const r = spawnSync(helper, [String(pid), ...helperArgs(maps)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().replace(/\s*\n\s*/g, '; ');
    throw new RuntimeError(`${path.basename(helper)} ${pid} ${helperArgs(maps).join(' ')} failed (${field(file)}): ${why}`);
  }
}

/** Writes the maps of the user namespace `pid` just unshared: uid_map, setgroups, gid_map. */
export function writeIdMaps(pid: number, s: IdMapSetup): void {
  if (s.uid === 'helper') runHelper(s.newuidmap!, pid, 'uid_map', s.uidMappings);
  else writeDirect(pid, 'uid_map', s.uidMappings);
  if (s.denySetgroups) {
    try { fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny'); } catch (e) {
      throw new RuntimeError(`writing setgroups of the container's user namespace: ${(e as Error).message}`);
    }
  }
  if (s.gid === 'helper') runHelper(s.newgidmap!, pid, 'gid_map', s.gidMappings);
  else writeDirect(pid, 'gid_map', s.gidMappings);
}

/** Rlimits only lowered, oom_score_adj only raised: what an unprivileged runtime can apply. */
export function checkRootlessProcess(plan: InitPlan): void {
  const id = plan.process.identity;
  checkRootlessRlimits(id.rlimits, parseHardLimits(readText('/proc/self/limits')));
  checkRootlessOomScoreAdj(id.oomScoreAdj, Number(readText('/proc/self/oom_score_adj').trim() || 0));
}
