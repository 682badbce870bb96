// What an unprivileged runtime cannot do to its container's process, checked
// before anything is created: raise a hard rlimit above its own, or set an
// oom_score_adj below its own (both need CAP_SYS_RESOURCE on the host). Pure,
// given /proc/self/limits text and the current oom_score_adj.
import { RLIM_INFINITY, rlimitName } from './rlimits';

/** /proc/self/limits row names, by RLIMIT_* type. */
const LIMITS_ROWS: Readonly<Record<string, string>> = {
  RLIMIT_CPU: 'Max cpu time', RLIMIT_FSIZE: 'Max file size', RLIMIT_DATA: 'Max data size',
  RLIMIT_STACK: 'Max stack size', RLIMIT_CORE: 'Max core file size', RLIMIT_RSS: 'Max resident set',
  RLIMIT_NPROC: 'Max processes', RLIMIT_NOFILE: 'Max open files', RLIMIT_MEMLOCK: 'Max locked memory',
  RLIMIT_AS: 'Max address space', RLIMIT_LOCKS: 'Max file locks', RLIMIT_SIGPENDING: 'Max pending signals',
  RLIMIT_MSGQUEUE: 'Max msgqueue size', RLIMIT_NICE: 'Max nice priority', RLIMIT_RTPRIO: 'Max realtime priority',
  RLIMIT_RTTIME: 'Max realtime timeout',
};

/** Hard limits by RLIMIT_* type, from /proc/self/limits text. */
export function parseHardLimits(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [type, row] of Object.entries(LIMITS_ROWS)) {
    const line = text.split('\n').find((l) => l.startsWith(row + ' '));
    const hard = line?.slice(row.length).trim().split(/\s+/)[1];
    if (hard === undefined) continue;
    out.set(type, hard === 'unlimited' ? RLIM_INFINITY : BigInt(hard));
  }
  return out;
}

export function checkRootlessRlimits(rlimits: { resource: number; hard: bigint }[], hardNow: Map<string, bigint>): void {
  rlimits.forEach((r) => {
    const type = rlimitName(r.resource) ?? `resource ${r.resource}`;
    const now = hardNow.get(type);
    if (now !== undefined && r.hard > now) {
      const show = (v: bigint) => (v === RLIM_INFINITY ? 'unlimited' : String(v));
      throw new Error(`process.rlimits ${type}: hard limit ${show(r.hard)} is above the runtime's own (${show(now)}); ` +
        'without privileges a limit can only be lowered');
    }
  });
}

export function checkRootlessOomScoreAdj(wanted: number | undefined, now: number): void {
  if (wanted !== undefined && wanted < now) {
    throw new Error(`process.oomScoreAdj: ${wanted} is below the runtime's own (${now}); without privileges it can only be raised`);
  }
}
