// A network namespace the runtime creates starts with `lo` down; runc and crun
// bring it up (engines' --network none, tests binding 127.0.0.1 rely on it).
// Done with SIOCGIFFLAGS/SIOCSIFFLAGS on an AF_INET socket of the new namespace.
import * as libc from '../sys/libc';

const AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
const SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, IFF_UP = 0x1;
/** struct ifreq: ifr_name[IFNAMSIZ=16], then a union whose ifr_flags is a short at offset 16. */
const IFREQ_SIZE = 40, IFR_FLAGS = 16;

/** Sets IFF_UP on `lo` of the calling process's network namespace. */
export function bringUpLoopback(): void {
  const fd = libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC);
  try {
    const req = Buffer.alloc(IFREQ_SIZE);
    req.write('lo', 0);
    libc.ioctlPtr(fd, SIOCGIFFLAGS, req, 'lo');
    req.writeUInt16LE(req.readUInt16LE(IFR_FLAGS) | IFF_UP, IFR_FLAGS);
    libc.ioctlPtr(fd, SIOCSIFFLAGS, req, 'lo');
  } catch (e) {
    throw new Error(`new network namespace: bringing up lo: ${(e as Error).message.replace(/^ioctl lo: /, '')}`);
  } finally {
    libc.close(fd);
  }
}
