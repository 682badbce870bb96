// Messages on a SOCK_SEQPACKET socket (CRIU's RPC): one sendmsg/recvmsg per message,
// with the file descriptors that come along as SCM_RIGHTS. Thin wrappers only.
import type * as Koffi from 'koffi';
import { SysError } from './errno';
import { loadKoffi } from './koffi';

type Fn = (...args: any[]) => any;
let fns: { recvmsg: Fn; sendmsg: Fn; errno: () => number } | undefined;

function bind(): NonNullable<typeof fns> {
  if (fns) return fns;
  const koffi: typeof Koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  const iovec = koffi.struct('ocits_sp_iovec', { base: 'void *', len: 'size_t' });
  koffi.struct('ocits_sp_msghdr', {
    name: 'void *', namelen: 'uint32_t', iov: koffi.pointer(iovec), iovlen: 'size_t',
    control: 'void *', controllen: 'size_t', flags: 'int',
  });
  fns = {
    recvmsg: lib.func('long recvmsg(int fd, ocits_sp_msghdr *msg, int flags)') as Fn,
    sendmsg: lib.func('long sendmsg(int fd, const ocits_sp_msghdr *msg, int flags)') as Fn,
    errno: () => koffi.errno(),
  };
  return fns;
}

const SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_CMSG_CLOEXEC = 0x40000000, EINTR = 4;

export interface Received { data: Buffer; fds: number[]; truncated: boolean }

/** recvmsg of one message into a buffer of `size` bytes; data is empty at end of stream. */
export function recvMessage(sock: number, size = 64 * 1024): Received {
  const f = bind();
  const payload = Buffer.alloc(size);
  const control = Buffer.alloc(256);
  for (;;) {
    const msg = { name: null, namelen: 0, iov: [{ base: payload, len: size }], iovlen: 1, control, controllen: control.length, flags: 0 };
    const n = Number(f.recvmsg(sock, msg, MSG_CMSG_CLOEXEC));
    if (n === -1) {
      const e = f.errno();
      if (e === EINTR) continue;
      throw new SysError('recvmsg', e);
    }
    const fds: number[] = [];
    // struct cmsghdr { size_t len; int level; int type; } then the data, each header 8-aligned.
    // The buffer starts zeroed, so a zero length marks the end of what the kernel wrote.
    for (let off = 0; off + 16 <= control.length;) {
      const len = Number(control.readBigUInt64LE(off));
      if (len < 16) break;
      if (control.readInt32LE(off + 8) === SOL_SOCKET && control.readInt32LE(off + 12) === SCM_RIGHTS) {
        for (let p = off + 16; p + 4 <= off + len; p += 4) fds.push(control.readInt32LE(p));
      }
      off += (len + 7) & ~7;
    }
    return { data: payload.subarray(0, n), fds, truncated: n === size };
  }
}

/** sendmsg of one message (no fds). */
export function sendMessage(sock: number, data: Uint8Array): void {
  const f = bind();
  const buf = Buffer.from(data);
  const msg = { name: null, namelen: 0, iov: [{ base: buf, len: buf.length }], iovlen: 1, control: null, controllen: 0, flags: 0 };
  for (;;) {
    if (Number(f.sendmsg(sock, msg, 0)) !== -1) return;
    const e = f.errno();
    if (e !== EINTR) throw new SysError('sendmsg', e);
  }
}
