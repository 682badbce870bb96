// A restored container's own network namespace comes back empty (empty_ns: ocits, like
// runc, does not dump interfaces), so `lo` is down and a TCP connection over 127.0.0.1
// cannot be restored. When CRIU has made the namespaces (setup-namespaces), this thread
// visits the new namespace, sets IFF_UP on lo, and comes back: create brings lo up too.
import * as libc from '../sys/libc';

const O_RDONLY = 0, O_CLOEXEC = 0x80000, CLONE_NEWNET = 0x40000000;
const AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
const SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, IFF_UP = 0x1;
/** struct ifreq: ifr_name[16], then the union whose ifr_flags is a short at offset 16. */
const IFREQ_SIZE = 40, IFR_FLAGS = 16;

export function bringUpLoopbackOf(pid: number): void {
  const own = libc.open('/proc/thread-self/ns/net', O_RDONLY | O_CLOEXEC);
  let target = -1;
  try {
    target = libc.open(`/proc/${pid}/ns/net`, O_RDONLY | O_CLOEXEC);
    libc.setns(target, CLONE_NEWNET, `/proc/${pid}/ns/net`);
    try {
      const fd = libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC);
      try {
        const req = Buffer.alloc(IFREQ_SIZE);
        req.write('lo', 0);
        libc.ioctlPtr(fd, SIOCGIFFLAGS, req, 'lo');
        req.writeUInt16LE(req.readUInt16LE(IFR_FLAGS) | IFF_UP, IFR_FLAGS);
        libc.ioctlPtr(fd, SIOCSIFFLAGS, req, 'lo');
      } finally {
        libc.close(fd);
      }
    } finally {
      libc.setns(own, CLONE_NEWNET, 'the runtime\'s own network namespace');
    }
  } catch (e) {
    throw new Error(`restored network namespace: bringing up lo: ${(e as Error).message}`);
  } finally {
    if (target >= 0) libc.close(target);
    libc.close(own);
  }
}
