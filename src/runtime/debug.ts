// Debug records (--debug): the runtime reports its steps here, the CLI sends
// them to --log (text or JSON lines, as runc's debug lines). Never called from
// a forked child: its records would interleave with the runtime's.
import type { Created } from './create';

let sink: ((msg: string) => void) | undefined;

/**
 * runc's names for the init's steps, which lead the records of ocits's equivalent steps:
 * tools (and runc's own tests) look for them in debug output.
 */
export const STEP = {
  setup: 'nsexec container setup',
  init: 'child process in init()',
  ready: 'init: closing the pipe to signal completion',
} as const;

export function setDebugSink(f: ((msg: string) => void) | undefined): void {
  sink = f;
}

/** Records `msg` (a function is only called when debugging is on). */
export function debug(msg: string | (() => string)): void {
  if (sink) sink(typeof msg === 'function' ? msg() : msg);
}

/** What create made: the init, its namespaces, cgroups and process. */
export function debugCreated(c: Created): void {
  debug(() => {
    const { record: r, plan: p } = c;
    const ns = (p.spec.linux?.namespaces ?? []).map((n) => (n.path ? `${n.type}=${n.path}` : n.type)).join(',');
    return `container ${r.id}: init pid ${r.pid}, rootfs ${r.rootfs}, namespaces [${ns}]`;
  });
  debug(() => `container ${c.record.id}: cgroups ${c.record.cgroups.map((g) => `${g.path}${g.owned ? '' : ' (joined)'}`).join(', ') || 'none'}`);
  debug(() => {
    const p = c.plan.process;
    return `container ${c.record.id}: process ${JSON.stringify(p.args)} as ${p.identity.uid}:${p.identity.gid} in ${p.cwd}${p.terminal ? ', terminal' : ''}`;
  });
}
