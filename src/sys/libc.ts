// The one place where ocits talks to the kernel: thin koffi bindings to libc.
// Each wrapper makes exactly one call and turns a failure into a SysError
// carrying the syscall, the path and the errno. No policy lives here.
import type * as Koffi from 'koffi';
import { SysError } from './errno';
import { loadKoffi } from './koffi';

type Fn = (...args: any[]) => any;

let koffi: typeof Koffi;
let lib: Koffi.LibraryHandle;
const cache = new Map<string, Fn>();

function fn(name: string, proto: string): Fn {
  let f = cache.get(name);
  if (!f) {
    if (!lib) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      koffi = loadKoffi();
      lib = koffi.load('libc.so.6');
    }
    f = lib.func(proto) as Fn;
    cache.set(name, f);
  }
  return f;
}

function errno(): number {
  return koffi.errno();
}

/** Calls f; a result of -1 becomes a SysError. */
function check(name: string, path: string | undefined, r: number | bigint): number {
  if (r === -1 || r === -1n) throw new SysError(name, errno(), path);
  return Number(r);
}

const SYSCALLS: Record<string, Record<string, number>> = {
  x64: { pivot_root: 155, capget: 125, capset: 126, pidfd_open: 434, mount_setattr: 442, pidfd_send_signal: 424, open_tree: 428, move_mount: 429 },
  arm64: { pivot_root: 41, capget: 90, capset: 91, pidfd_open: 434, mount_setattr: 442, pidfd_send_signal: 424, open_tree: 428, move_mount: 429 },
};

function sysno(name: string): number {
  const n = SYSCALLS[process.arch]?.[name];
  if (n === undefined) throw new Error(`syscall ${name} is not known on ${process.arch}`);
  return n;
}

/** syscall(2) by name (from the table above), for the other thin wrappers in src/sys. */
export function syscall(name: string, path: string | undefined, ...args: unknown[]): number {
  return check(name, path, fn('syscall', 'long syscall(long nr, ...)')(sysno(name), ...args));
}

// ---- processes -------------------------------------------------------------

export function getpid(): number { return fn('getpid', 'int getpid()')(); }

/** fork() after marking every mapping DOFORK (V8 maps its heap DONTFORK). */
export function forkProcess(): number {
  // Both looked up first: making a koffi function allocates, and a V8 page allocated after
  // the madvise is MADV_DONTFORK again (the child faults on it: SIGSEGV).
  const madvise = fn('madvise', 'int madvise(uintptr_t addr, size_t len, int advice)');
  const fork = fn('fork', 'int fork()');
  madvise(0n, 0x7ffffffff000n, 11 /* MADV_DOFORK */);
  return check('fork', undefined, fork());
}

export function exit_(code: number): never {
  fn('_exit', 'void _exit(int)')(code);
  throw new Error('unreachable');
}

export function execve(path: string, argv: string[], envp: string[]): never {
  fn('execve', 'int execve(const char *path, const char **argv, const char **envp)')(path, [...argv, null], [...envp, null]);
  throw new SysError('execve', errno(), path);
}

export interface WaitResult { pid: number; status: number }

/** waitpid; returns pid 0 when WNOHANG finds nothing. */
export function waitpid(pid: number, options = 0): WaitResult {
  const st = [0];
  for (;;) {
    const r = fn('waitpid', 'int waitpid(int pid, _Out_ int *status, int options)')(pid, st, options);
    if (r === -1) {
      const e = errno();
      if (e === 4) continue;
      throw new SysError('waitpid', e, String(pid));
    }
    return { pid: r, status: st[0] };
  }
}

export function kill(pid: number, sig: number): void {
  check('kill', String(pid), fn('kill', 'int kill(int pid, int sig)')(pid, sig));
}

export function prctl(option: number, a2: number | bigint = 0, a3: number | bigint = 0, a4: number | bigint = 0, a5: number | bigint = 0): number {
  return check('prctl', undefined,
    fn('prctl', 'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)')(option, a2, a3, a4, a5));
}

export function setsid(): number { return check('setsid', undefined, fn('setsid', 'int setsid()')()); }

export function pidfdOpen(pid: number): number { return syscall('pidfd_open', String(pid), 'int', pid, 'unsigned int', 0); }

/** pidfd_send_signal(2): signals exactly the process the pidfd refers to (never a reuse of its pid). */
export function pidfdSendSignal(pidfd: number, sig: number): void {
  syscall('pidfd_send_signal', undefined, 'int', pidfd, 'int', sig, 'void *', null, 'unsigned int', 0);
}

// ---- namespaces --------------------------------------------------------------

export function unshare(flags: number): void {
  check('unshare', undefined, fn('unshare', 'int unshare(int flags)')(flags));
}

export function setns(fd: number, nstype: number, path?: string): void {
  check('setns', path, fn('setns', 'int setns(int fd, int nstype)')(fd, nstype));
}

export function sethostname(name: string): void {
  check('sethostname', name, fn('sethostname', 'int sethostname(const char *name, size_t len)')(name, Buffer.byteLength(name)));
}

export function setdomainname(name: string): void {
  check('setdomainname', name, fn('setdomainname', 'int setdomainname(const char *name, size_t len)')(name, Buffer.byteLength(name)));
}

// ---- identity, capabilities, limits ------------------------------------------

export function setresuid(r: number, e: number, s: number): void {
  check('setresuid', undefined, fn('setresuid', 'int setresuid(uint32_t r, uint32_t e, uint32_t s)')(r, e, s));
}

export function setresgid(r: number, e: number, s: number): void {
  check('setresgid', undefined, fn('setresgid', 'int setresgid(uint32_t r, uint32_t e, uint32_t s)')(r, e, s));
}

export function setgroups(gids: number[]): void {
  const arr = new Uint32Array(gids);
  check('setgroups', undefined, fn('setgroups', 'int setgroups(size_t n, const uint32_t *list)')(arr.length, arr));
}

export function umask(mask: number): number { return fn('umask', 'uint32_t umask(uint32_t mask)')(mask); }

/** capset v3: data holds [effective, permitted, inheritable] for words 0 and 1. */
export function capset(data: Uint32Array): void {
  const hdr = new Uint32Array([0x20080522, 0]);
  syscall('capset', undefined, 'void *', hdr, 'void *', data);
}

export function capget(): Uint32Array {
  const hdr = new Uint32Array([0x20080522, 0]);
  const data = new Uint32Array(6);
  syscall('capget', undefined, 'void *', hdr, 'void *', data);
  return data;
}

export function prlimit(resource: number, soft: bigint, hard: bigint): void {
  const lim = new BigUint64Array([soft, hard]);
  check('prlimit', undefined, fn('prlimit', 'int prlimit(int pid, int resource, const void *newl, void *oldl)')(0, resource, lim, null));
}

export function personality(persona: number): number {
  return check('personality', undefined, fn('personality', 'int personality(unsigned long persona)')(persona));
}

// ---- mounts --------------------------------------------------------------------

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  check('mount', target, fn('mount', 'int mount(const char *src, const char *tgt, const char *type, unsigned long flags, const char *data)')(
    source, target, fstype, flags, data));
}

export function umount2(target: string, flags: number): void {
  check('umount2', target, fn('umount2', 'int umount2(const char *target, int flags)')(target, flags));
}

export function pivotRoot(newRoot: string, putOld: string): void {
  syscall('pivot_root', newRoot, 'const char *', newRoot, 'const char *', putOld);
}

export function chroot(path: string): void { check('chroot', path, fn('chroot', 'int chroot(const char *path)')(path)); }
export function chdir(path: string): void { check('chdir', path, fn('chdir', 'int chdir(const char *path)')(path)); }
/** getcwd(3): glibc fails with ENOENT when the cwd is unreachable from the root. */
export function getcwd(): string {
  const buf = Buffer.alloc(4097);
  const r = fn('getcwd', 'void *getcwd(void *buf, size_t size)')(buf, buf.length);
  if (r === null) throw new SysError('getcwd', errno(), undefined);
  return buf.toString('utf8', 0, buf.indexOf(0));
}
export function fchdir(fd: number): void { check('fchdir', undefined, fn('fchdir', 'int fchdir(int fd)')(fd)); }

/** mount_setattr(2) with struct mount_attr {attr_set, attr_clr, propagation, userns_fd}. */
export function mountSetattr(dirfd: number, path: string, flags: number, attrSet: number, attrClr: number, propagation = 0): void {
  const attr = new BigUint64Array([BigInt(attrSet), BigInt(attrClr), BigInt(propagation), 0n]);
  syscall('mount_setattr', path, 'int', dirfd, 'const char *', path, 'unsigned int', flags, 'void *', attr, 'size_t', 32);
}

// ---- files ---------------------------------------------------------------------

export function open(path: string, flags: number, mode = 0): number {
  return check('open', path, fn('open', 'int open(const char *path, int flags, uint32_t mode)')(path, flags, mode));
}

export function openat(dirfd: number, path: string, flags: number, mode = 0): number {
  return check('openat', path, fn('openat', 'int openat(int dirfd, const char *path, int flags, uint32_t mode)')(dirfd, path, flags, mode));
}

export function close(fd: number): void { fn('close', 'int close(int fd)')(fd); }

export function closeRange(first: number, last: number, flags: number): void {
  check('close_range', undefined, fn('close_range', 'int close_range(uint32_t first, uint32_t last, int flags)')(first, last, flags));
}

export function read(fd: number, buf: Buffer, len = buf.length): number {
  for (;;) {
    const r = fn('read', 'long read(int fd, void *buf, size_t n)')(fd, buf, len);
    if (r === -1) { const e = errno(); if (e === 4) continue; throw new SysError('read', e); }
    return Number(r);
  }
}

export function write(fd: number, buf: Buffer): number {
  for (;;) {
    const r = fn('write', 'long write(int fd, const void *buf, size_t n)')(fd, buf, buf.length);
    if (r === -1) { const e = errno(); if (e === 4) continue; throw new SysError('write', e); }
    return Number(r);
  }
}

export function dup3(oldfd: number, newfd: number, flags: number): void {
  check('dup3', undefined, fn('dup3', 'int dup3(int oldfd, int newfd, int flags)')(oldfd, newfd, flags));
}

export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check('fcntl', undefined, fn('fcntl', 'int fcntl(int fd, int cmd, int arg)')(fd, cmd, arg));
}

export function pipe2(flags: number): [number, number] {
  const fds = new Int32Array(2);
  check('pipe2', undefined, fn('pipe2', 'int pipe2(int *fds, int flags)')(fds, flags));
  return [fds[0], fds[1]];
}

export function socketpair(domain: number, type: number): [number, number] {
  const fds = new Int32Array(2);
  check('socketpair', undefined, fn('socketpair', 'int socketpair(int d, int t, int p, int *fds)')(domain, type, 0, fds));
  return [fds[0], fds[1]];
}

export function mkfifo(path: string, mode: number): void {
  check('mkfifo', path, fn('mkfifo', 'int mkfifo(const char *path, uint32_t mode)')(path, mode));
}

export function mknod(path: string, mode: number, dev: bigint): void {
  check('mknod', path, fn('mknod', 'int mknod(const char *path, uint32_t mode, uint64_t dev)')(path, mode, dev));
}

export function mkdir(path: string, mode: number): void {
  check('mkdir', path, fn('mkdir', 'int mkdir(const char *path, uint32_t mode)')(path, mode));
}

export function symlink(target: string, path: string): void {
  check('symlink', path, fn('symlink', 'int symlink(const char *target, const char *path)')(target, path));
}

export function fchown(fd: number, uid: number, gid: number): void {
  check('fchown', `fd ${fd}`, fn('fchown', 'int fchown(int fd, uint32_t uid, uint32_t gid)')(fd, uid, gid));
}

export function chown(path: string, uid: number, gid: number): void {
  check('chown', path, fn('chown', 'int chown(const char *path, uint32_t uid, uint32_t gid)')(path, uid, gid));
}

export function chmod(path: string, mode: number): void {
  check('chmod', path, fn('chmod', 'int chmod(const char *path, uint32_t mode)')(path, mode));
}

export interface PollFd { fd: number; events: number; revents?: number }

/** poll(2); returns the number of ready fds and fills revents. */
export function poll(fds: PollFd[], timeoutMs: number): number {
  const buf = Buffer.alloc(8 * fds.length);
  fds.forEach((p, i) => { buf.writeInt32LE(p.fd, i * 8); buf.writeInt16LE(p.events, i * 8 + 4); });
  for (;;) {
    const r = fn('poll', 'int poll(void *fds, unsigned long n, int timeout)')(buf, fds.length, timeoutMs);
    if (r === -1) { const e = errno(); if (e === 4) continue; throw new SysError('poll', e); }
    fds.forEach((p, i) => { p.revents = buf.readInt16LE(i * 8 + 6); });
    return r;
  }
}

export function nanosleep(ms: number): void {
  const ts = new BigInt64Array([BigInt(Math.floor(ms / 1000)), BigInt((ms % 1000) * 1e6)]);
  fn('nanosleep', 'int nanosleep(const void *req, void *rem)')(ts, null);
}

/** Resets a signal to its default disposition (SIG_DFL) and returns nothing. */
export function signalDefault(sig: number): void {
  fn('signal', 'uintptr_t signal(int sig, uintptr_t handler)')(sig, 0n);
}

/** Clears the signal mask of the calling thread. */
export function unblockAllSignals(): void {
  const set = new BigUint64Array(16);
  fn('sigprocmask', 'int sigprocmask(int how, const void *set, void *old)')(2 /* SIG_SETMASK */, set, null);
}

export function flock(fd: number, op: number, path?: string): void {
  for (;;) {
    const r = fn('flock', 'int flock(int fd, int op)')(fd, op);
    if (r === -1) { const e = errno(); if (e === 4) continue; throw new SysError('flock', e, path); }
    return;
  }
}

/** statvfs(2) f_flag (ST_* bits) of the filesystem holding path. */
export function statvfsFlags(path: string): number {
  const buf = Buffer.alloc(128);
  check('statvfs', path, fn('statvfs', 'int statvfs(const char *path, void *buf)')(path, buf));
  return Number(buf.readBigUInt64LE(72));
}

/** fstatfs(2) f_type: the magic number of the filesystem holding fd. */
export function fstatfsType(fd: number): number {
  const buf = Buffer.alloc(120);
  check('fstatfs', undefined, fn('fstatfs', 'int fstatfs(int fd, void *buf)')(fd, buf));
  return Number(buf.readBigInt64LE(0));
}

// ---- bpf -------------------------------------------------------------------------

const BPF_SYSCALL: Record<string, number> = { x64: 321, arm64: 280 };

/** bpf(2): cmd with its union bpf_attr in `attr`; returns the result (an fd for the *_LOAD / *_GET_FD commands). */
export function bpf(cmd: number, attr: Buffer, path?: string): number {
  const nr = BPF_SYSCALL[process.arch];
  if (nr === undefined) throw new Error(`syscall bpf is not known on ${process.arch}`);
  return check('bpf', path, fn('syscall', 'long syscall(long nr, ...)')(nr, 'int', cmd, 'void *', attr, 'unsigned int', attr.length));
}

/** Address of a buffer's memory, for the pointer fields of a syscall's attribute struct. */
export function bufferAddress(buf: Buffer): bigint {
  if (!koffi) koffi = loadKoffi();
  return BigInt(koffi.address(buf) as bigint | number);
}

// ---- terminals and unix sockets -------------------------------------------------

export function ioctlPtr(fd: number, req: number, arg: Buffer | null, what?: string): number {
  return check('ioctl', what, fn('ioctl', 'int ioctl(int fd, unsigned long req, ...)')(fd, req, 'void *', arg));
}

export function ioctlInt(fd: number, req: number, arg: number, what?: string): number {
  return check('ioctl', what, fn('ioctl', 'int ioctl(int fd, unsigned long req, ...)')(fd, req, 'int', arg));
}

export function socket(domain: number, type: number): number {
  return check('socket', undefined, fn('socket', 'int socket(int d, int t, int p)')(domain, type, 0));
}

function sockaddrUn(path: string): Buffer {
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(1 /* AF_UNIX */, 0);
  if (Buffer.byteLength(path) > 107) throw new SysError('connect', 36 /* ENAMETOOLONG */, path);
  addr.write(path, 2);
  return addr;
}

export function connectUnix(fd: number, path: string): void {
  check('connect', path, fn('connect', 'int connect(int fd, const void *addr, uint32_t len)')(fd, sockaddrUn(path), 110));
}

let msgTypes: { msghdr: Koffi.TypeObject } | undefined;

function sendFdTypes(): void {
  if (msgTypes) return;
  fn('getpid', 'int getpid()'); // loads koffi
  const iovec = koffi.struct('ocits_iovec', { base: 'void *', len: 'size_t' });
  const msghdr = koffi.struct('ocits_msghdr', {
    name: 'void *', namelen: 'uint32_t', iov: koffi.pointer(iovec), iovlen: 'size_t',
    control: 'void *', controllen: 'size_t', flags: 'int',
  });
  msgTypes = { msghdr };
}

/** sendmsg with one SCM_RIGHTS control message carrying `fdToSend`, and `data` as payload. */
export function sendFd(sock: number, data: string, fdToSend: number): void {
  sendFdTypes();
  const payload = Buffer.from(data);
  // struct cmsghdr { size_t len; int level; int type; } followed by one int, padded to 24 bytes.
  const cmsg = Buffer.alloc(24);
  cmsg.writeBigUInt64LE(20n, 0);
  cmsg.writeInt32LE(1 /* SOL_SOCKET */, 8);
  cmsg.writeInt32LE(1 /* SCM_RIGHTS */, 12);
  cmsg.writeInt32LE(fdToSend, 16);
  const msg = { name: null, namelen: 0, iov: [{ base: payload, len: payload.length }], iovlen: 1, control: cmsg, controllen: cmsg.length, flags: 0 };
  const send = fn('sendmsg', 'long sendmsg(int fd, const ocits_msghdr *msg, int flags)');
  check('sendmsg', undefined, send(sock, msg, 0));
}

/** recvmsg of one message carrying one SCM_RIGHTS fd; returns the payload and the fd. */
export function recvFd(sock: number): { data: string; fd: number } {
  sendFdTypes();
  const payload = Buffer.alloc(4096);
  const cmsg = Buffer.alloc(24);
  const msg = { name: null, namelen: 0, iov: [{ base: payload, len: payload.length }], iovlen: 1, control: cmsg, controllen: cmsg.length, flags: 0 };
  const recv = fn('recvmsg', 'long recvmsg(int fd, ocits_msghdr *msg, int flags)');
  const n = check('recvmsg', undefined, recv(sock, msg, 0x40000000 /* MSG_CMSG_CLOEXEC */));
  if (cmsg.readInt32LE(8) !== 1 || cmsg.readInt32LE(12) !== 1) throw new SysError('recvmsg', 22 /* EINVAL: no fd */);
  return { data: payload.subarray(0, n).toString(), fd: cmsg.readInt32LE(16) };
}
