// Messages between the runtime and the container's init: one JSON object per
// SOCK_SEQPACKET datagram, read and written synchronously (the init may not
// use Node's event loop).
import * as libc from '../sys/libc';

const AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000;
const MAX = 65536;

export interface Message { type: string; [k: string]: unknown }

export function channelPair(): [parentEnd: number, childEnd: number] {
  return libc.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC);
}

export function send(fd: number, msg: Message): void {
  libc.write(fd, Buffer.from(JSON.stringify(msg)));
}

/** Reads one message; null when the other end closed. With a timeout, throws when it expires. */
export function receive(fd: number, timeoutMs = -1): Message | null {
  if (timeoutMs >= 0 && libc.poll([{ fd, events: 1 }], timeoutMs) === 0) {
    throw new Error(`no answer within ${timeoutMs} ms`);
  }
  const buf = Buffer.alloc(MAX);
  const n = libc.read(fd, buf);
  if (n === 0) return null;
  return JSON.parse(buf.subarray(0, n).toString()) as Message;
}
