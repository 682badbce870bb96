// A restored container's own network namespace comes back empty (empty_ns: ocits, like
// runc, does not dump interfaces), so `lo` is down and a TCP connection over 127.0.0.1
// cannot be restored. When CRIU has made the namespaces (setup-namespaces), this thread
// visits the new namespace, brings lo up as create does, and comes back.
import * as libc from '../sys/libc';
import { bringUpLoopback } from '../linux/loopback';

const O_RDONLY = 0, O_CLOEXEC = 0x80000, CLONE_NEWNET = 0x40000000;

export function bringUpLoopbackOf(pid: number): void {
  const own = libc.open('/proc/thread-self/ns/net', O_RDONLY | O_CLOEXEC);
  let target = -1;
  try {
    target = libc.open(`/proc/${pid}/ns/net`, O_RDONLY | O_CLOEXEC);
    libc.setns(target, CLONE_NEWNET, `/proc/${pid}/ns/net`);
    try {
      bringUpLoopback();
    } finally {
      libc.setns(own, CLONE_NEWNET, 'the runtime\'s own network namespace');
    }
  } catch (e) {
    throw new Error(`restored network namespace: ${(e as Error).message}`);
  } finally {
    if (target >= 0) libc.close(target);
    libc.close(own);
  }
}
