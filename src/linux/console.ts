// The container's terminal: a pty opened from the container's own devpts
// (after its /dev is in place), the master sent to the engine's console socket
// (one message, one fd, no reply), the slave made the process's stdio and
// controlling terminal.
import * as fs from 'node:fs';
import * as libc from '../sys/libc';
import { makedev } from './devices-plan';

const O_RDWR = 2, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000;
const TIOCGPTPEER = 0x5441, TIOCSPTLCK = 0x40045431, TIOCGPTN = 0x80045430, TIOCSCTTY = 0x540e, TIOCSWINSZ = 0x5414;
const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;

export interface Pty { master: number; slave: number; name: string }

/**
 * A new pty of the container's devpts. The master must be the ptmx device
 * (5:2), and the slave comes from the master (TIOCGPTPEER), never from a
 * /dev/pts/N path the container could have replaced (CVE-2025-52565).
 */
export function openPty(): Pty {
  const master = libc.open('/dev/ptmx', O_RDWR | O_NOCTTY | O_CLOEXEC);
  try {
    const st = fs.fstatSync(master);
    if (!st.isCharacterDevice() || st.rdev !== Number(makedev(5, 2))) throw new Error('/dev/ptmx in the container is not the pty multiplexer (char 5:2)');
    libc.ioctlPtr(master, TIOCSPTLCK, Buffer.alloc(4), '/dev/ptmx');
    const n = Buffer.alloc(4);
    libc.ioctlPtr(master, TIOCGPTN, n, '/dev/ptmx');
    const name = `/dev/pts/${n.readUInt32LE(0)}`;
    const slave = libc.ioctlInt(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC, name);
    return { master, slave, name };
  } catch (e) {
    libc.close(master);
    throw e;
  }
}

export function setWindowSize(fd: number, rows: number, cols: number): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(rows, 0);
  ws.writeUInt16LE(cols, 2);
  libc.ioctlPtr(fd, TIOCSWINSZ, ws, 'pty');
}

/** Connects a SOCK_STREAM unix socket; errors name it as `what` (e.g. "console socket"). */
export function connectUnixStream(path: string, what: string): number {
  const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  try {
    libc.connectUnix(fd, path);
  } catch (e) {
    libc.close(fd);
    throw new Error(`${what} ${path}: ${(e as Error).message.replace(/^connect \S+: /, '')}`);
  }
  return fd;
}

/** Connects to the engine's console socket (a host path: done by the runtime before any pivot). */
export function connectConsoleSocket(path: string): number {
  return connectUnixStream(path, 'console socket');
}

/** New session, the slave as controlling terminal and as fds 0-2; the master goes to the socket. */
export function attachTerminal(consoleSocket: number, size?: { height: number; width: number }): void {
  const pty = openPty();
  if (size) setWindowSize(pty.slave, size.height, size.width);
  libc.sendFd(consoleSocket, pty.name, pty.master);
  libc.close(pty.master);
  libc.close(consoleSocket);
  libc.setsid();
  libc.ioctlInt(pty.slave, TIOCSCTTY, 0, pty.name);
  for (let f = 0; f < 3; f++) libc.dup3(pty.slave, f, 0);
  libc.close(pty.slave);
}
