// Bind mount sources of a container with a user namespace, opened by the host's root.
//
// The init runs as the user namespace's root, which cannot reach a source under a
// directory only the host's root may enter (a 0700 /root/...): mount(2) would fail
// with EACCES. As runc does, the runtime opens each source (O_PATH) inside the
// init's new mount namespace, with the host's privileges, and hands the fds to the
// init, which binds /proc/self/fd/N. The fd must name a mount of the init's own
// namespace (mount(2) refuses a bind from another one), hence a helper process that
// joins it: the runtime itself has threads and cannot setns(2) into a mount namespace.
import * as libc from '../sys/libc';
import { send, receive } from '../runtime/channel';
import type { InitPlan } from '../runtime/init-plan';
import { planMounts, type MountOp } from './mount-plan';

const O_RDONLY = 0, O_PATH = 0x200000, O_CLOEXEC = 0x80000;
const CLONE_NEWNS = 0x20000;

export interface MountSourceRequest { index: number; source: string }

/** The bind sources to open for the init (pure): every bind but ID-mapped ones, when there is a user namespace. */
export function planMountSources(ops: readonly MountOp[], userns: boolean): MountSourceRequest[] {
  if (!userns) return [];
  return ops.flatMap((o) => (o.kind === 'bind' && !o.idmap ? [{ index: o.index, source: o.source }] : []));
}

/** The requests for this container (runtime side, before the fork; the init follows plan.mountSources). */
export function mountSourceRequests(plan: InitPlan): MountSourceRequest[] {
  const ns = plan.namespaces;
  // Only root can join the init's mount namespace; an unprivileged runtime has no more reach than the init.
  if (ns.has('mount') !== 'new' || ns.has('user') === 'none' || process.geteuid?.() !== 0) return [];
  try {
    return planMountSources(planMounts(plan.spec.mounts, { rootfs: plan.rootfs, userns: true, bundle: plan.bundle }), true);
  } catch {
    return []; // the init reports a bad mount list itself
  }
}

/**
 * Runtime side, on the init's request: a forked helper joins the mount namespace of
 * `pid`, opens what it can and sends it over `chan` ("mount-sources" with the indexes,
 * then one fd per index). A source it cannot open is left to the init, whose own
 * attempt then reports the error.
 */
export function sendMountSources(pid: number, requests: readonly MountSourceRequest[], chan: number): void {
  const helper = libc.forkProcess();
  if (helper === 0) {
    // Synchronous to the end (shared notes/process-model.md).
    const opened: [number, number][] = [];
    try {
      const ns = libc.open(`/proc/${pid}/ns/mnt`, O_RDONLY | O_CLOEXEC);
      libc.setns(ns, CLONE_NEWNS);
      for (const r of requests) {
        try { opened.push([r.index, libc.open(r.source, O_PATH | O_CLOEXEC)]); } catch { /* the init reports it */ }
      }
    } catch { /* no namespace to join: the init binds by path */ }
    try {
      send(chan, { type: 'mount-sources', indexes: opened.map(([i]) => i) });
      for (const [i, fd] of opened) libc.sendFd(chan, String(i), fd);
    } catch { /* the init is gone */ }
    libc.exit_(0);
  }
  libc.waitpid(helper, 0);
}

/** Init side: the fds the runtime's helper sent, by mounts[] index. */
export function receiveMountSources(chan: number): Record<number, number> {
  const m = receive(chan);
  if (!m || m.type !== 'mount-sources' || !Array.isArray(m.indexes)) throw new Error('init: expected the bind mount sources from the runtime');
  const fds: Record<number, number> = {};
  for (const i of m.indexes as number[]) {
    const r = libc.recvFd(chan);
    fds[Number(r.data)] = r.fd;
    if (Number(r.data) !== i) throw new Error(`init: bind mount source ${r.data} received for ${i}`);
  }
  return fds;
}
