// The container's terminal: a pty opened from the container's own devpts
// (after its /dev is in place), the master sent to the engine's console socket
// (one message, one fd, no reply), the slave made the process's stdio and
// controlling terminal.
import * as libc from '../sys/libc';

const O_RDWR = 2, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000;
const TIOCSPTLCK = 0x40045431, TIOCGPTN = 0x80045430, TIOCSCTTY = 0x540e, TIOCSWINSZ = 0x5414;
const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;

export interface Pty { master: number; slave: number; name: string }

export function openPty(): Pty {
  const master = libc.open('/dev/ptmx', O_RDWR | O_NOCTTY | O_CLOEXEC);
  libc.ioctlPtr(master, TIOCSPTLCK, Buffer.alloc(4), '/dev/ptmx');
  const n = Buffer.alloc(4);
  libc.ioctlPtr(master, TIOCGPTN, n, '/dev/ptmx');
  const name = `/dev/pts/${n.readUInt32LE(0)}`;
  const slave = libc.open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  return { master, slave, name };
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
