// linux.seccomp through the real runtime: busybox containers under filters.
// Needs root, busybox-static and libseccomp.so.2 (scripts/setup.sh installs libseccomp2).
import t from 'tap';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { makeBundle, makeRoot, runIn, uniqueId, leftovers, isRoot, ocits, ocitsToFiles } from '../lib/bundle.mjs';
import { requires, notApplicable, PYTHON3 } from '../lib/skip.mjs';

const libseccomp = createRequire(import.meta.url)('../../dist/lib/sys/seccomp.js');

// A podman/docker-like allow list: enough for busybox, for the runtime's init
// between loading the filter and execve, and for the channel to the runtime.
// mkdir, mkdirat and personality are deliberately left out.
const ALLOWED = [
  'accept', 'accept4', 'access', 'alarm', 'arch_prctl', 'bind', 'brk', 'capget', 'capset', 'chdir', 'chmod', 'chown',
  'clock_getres', 'clock_gettime', 'clock_nanosleep', 'clone', 'clone3', 'close', 'close_range', 'connect', 'copy_file_range',
  'creat', 'dup', 'dup2', 'dup3', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait',
  'eventfd', 'eventfd2', 'execve', 'execveat', 'exit', 'exit_group', 'faccessat', 'faccessat2', 'fadvise64', 'fallocate',
  'fchdir', 'fchmod', 'fchmodat', 'fchown', 'fchownat', 'fcntl', 'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fork',
  'fstat', 'fstatfs', 'fsync', 'ftruncate', 'futex', 'futex_waitv', 'getcpu', 'getcwd', 'getdents', 'getdents64', 'getegid',
  'geteuid', 'getgid', 'getgroups', 'getitimer', 'getpeername', 'getpgid', 'getpgrp', 'getpid', 'getppid', 'getpriority',
  'getrandom', 'getresgid', 'getresuid', 'getrlimit', 'get_robust_list', 'getrusage', 'getsid', 'getsockname', 'getsockopt',
  'gettid', 'gettimeofday', 'getuid', 'getxattr', 'inotify_add_watch', 'inotify_init1', 'inotify_rm_watch', 'ioctl', 'kill',
  'lchown', 'lgetxattr', 'link', 'linkat', 'listen', 'listxattr', 'lseek', 'lstat', 'madvise', 'membarrier', 'memfd_create',
  'mincore', 'mlock', 'mmap', 'mprotect', 'mremap', 'msync', 'munlock', 'munmap', 'nanosleep', 'newfstatat', 'open', 'openat',
  'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2', 'poll', 'ppoll', 'prctl', 'pread64', 'preadv',
  'preadv2', 'prlimit64', 'pselect6', 'pwrite64', 'pwritev', 'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv',
  'recvfrom', 'recvmmsg', 'recvmsg', 'rename', 'renameat', 'renameat2', 'restart_syscall', 'rmdir', 'rseq', 'rt_sigaction',
  'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_tgsigqueueinfo',
  'sched_getaffinity', 'sched_getparam', 'sched_getscheduler', 'sched_setaffinity', 'sched_yield', 'select', 'sendfile',
  'sendmmsg', 'sendmsg', 'sendto', 'setfsgid', 'setfsuid', 'setgid', 'setgroups', 'setitimer', 'setpgid', 'setpriority',
  'setregid', 'setresgid', 'setresuid', 'setreuid', 'setrlimit', 'set_robust_list', 'setsid', 'setsockopt', 'set_tid_address',
  'setuid', 'shutdown', 'sigaltstack', 'socket', 'socketpair', 'splice', 'stat', 'statfs', 'statx', 'symlink', 'symlinkat',
  'sync', 'sysinfo', 'tee', 'tgkill', 'time', 'timer_create', 'timer_delete', 'timer_settime', 'timerfd_create',
  'timerfd_settime', 'tkill', 'truncate', 'umask', 'uname', 'unlink', 'unlinkat', 'utime', 'utimensat', 'utimes', 'vfork',
  'wait4', 'waitid', 'write', 'writev',
];

/** A podman-like profile: deny by default, allow the list, personality only for PER_LINUX and queries. */
function podmanLike(extra = {}) {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    ...extra,
    syscalls: [
      { names: ALLOWED, action: 'SCMP_ACT_ALLOW' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] },
    ],
  };
}

/** libseccomp older than 2.6 (no LoongArch, M68K, SuperH). */
function oldLibseccomp() {
  const v = libseccomp.version();
  return v.major === 2 && v.minor < 6;
}

/** Runs `args` in a container with linux.seccomp = seccomp (and edits). */
function runWith(args, seccomp, edit = () => {}) {
  const b = makeBundle(args, (c) => {
    c.linux.seccomp = seccomp;
    c.process.rlimits.push({ type: 'RLIMIT_CORE', hard: 0, soft: 0 });
    edit(c);
  });
  const root = makeRoot();
  const id = uniqueId('sc');
  const r = runIn(root, b, id);
  r.leftovers = leftovers(root, b.dir, id);
  b.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
  return r;
}

const MKDIR_EPERM = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };

// libseccomp is found the way the runtime finds it (src/sys/seccomp.ts: the dynamic loader).
if (requires(t, isRoot && libseccomp.available(), 'needs root and libseccomp.so.2 (scripts/setup.sh)')) {
  t.test('ERRNO rule: mkdir fails with "Operation not permitted", the rest works', async (t) => {
    const r = runWith(['sh', '-c', 'touch /dev/shm/f && echo touched; mkdir /dev/shm/x; echo rc=$?'], MKDIR_EPERM);
    t.equal(r.stdout, 'touched\nrc=1\n', r.stderr);
    t.match(r.stderr, /mkdir: can't create directory '\/dev\/shm\/x': Operation not permitted/);
    t.equal(r.status, 0);
    t.same(r.leftovers, []);
  });

  t.test('the filter is in place at exec, one filter, no_new_privs as configured', async (t) => {
    const script = 'grep -E "^(NoNewPrivs|Seccomp|Seccomp_filters):" /proc/self/status';
    const nnp = runWith(['sh', '-c', script], MKDIR_EPERM);
    t.equal(nnp.stdout, 'NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n', nnp.stderr);
    const noNnp = runWith(['sh', '-c', `${script}; mkdir /dev/shm/y; echo rc=$?`], MKDIR_EPERM, (c) => { c.process.noNewPrivileges = false; });
    t.equal(noNnp.stdout, 'NoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\nrc=1\n', 'loaded with CAP_SYS_ADMIN, libseccomp did not set no_new_privs');
    t.equal(noNnp.status, 0, noNnp.stderr);
  });

  t.test('a startContainer hook runs before the filter: it may do what the profile forbids (mkdir)', async (t) => {
    const r = runWith(['sh', '-c', 'ls -d /dev/shm/by-hook; mkdir /dev/shm/x; echo rc=$?'], podmanLike(), (c) => {
      c.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'mkdir /dev/shm/by-hook'] }] };
    });
    t.equal(r.stdout, '/dev/shm/by-hook\nrc=1\n', r.stderr);
    t.equal(r.status, 0);
  });

  t.test('argument condition: personality other than PER_LINUX fails', async (t) => {
    const r = runWith(['sh', '-c', 'linux64 true; echo a=$?; linux32 true; echo b=$?'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0, op: 'SCMP_CMP_NE' }] }],
    });
    t.equal(r.stdout, 'a=0\nb=1\n', r.stderr);
    t.match(r.stderr, /personality\(0x8\): Operation not permitted/);
    t.equal(r.status, 0);
  });

  t.test('podman-like profile: default ERRNO with an allow list', async (t) => {
    const r = runWith(['sh', '-c', 'echo hi; linux64 true; echo a=$?; linux32 true; echo b=$?; mkdir /dev/shm/d; echo c=$?; exit 3'], podmanLike());
    t.equal(r.stdout, 'hi\na=0\nb=1\nc=1\n', r.stderr);
    t.match(r.stderr, /Operation not permitted/);
    t.equal(r.status, 3);
    t.same(r.leftovers, []);
  });

  t.test('podman-like profile without no_new_privs (loaded while still privileged)', async (t) => {
    const r = runWith(['sh', '-c', 'id -u; mkdir /dev/shm/d; echo c=$?'], podmanLike(), (c) => {
      c.process.noNewPrivileges = false;
      c.process.user = { uid: 65534, gid: 65534 };
    });
    t.equal(r.stdout, '65534\nc=1\n', r.stderr);
    t.equal(r.status, 0);
  });

  for (const nnp of [false, true]) {
    t.test(`a profile refusing close_range and fcntl (noNewPrivileges ${nnp}): fds are set up before the filter`, async (t) => {
      const profile = podmanLike();
      profile.syscalls[0].names = ALLOWED.filter((n) => n !== 'close_range' && n !== 'fcntl');
      const r = runWith(['sh', '-c', 'echo ok; ls /proc/self/fd'], profile, (c) => { c.process.noNewPrivileges = nnp; });
      t.equal(r.stderr, '');
      t.equal(r.stdout, 'ok\n0\n1\n2\n3\n', 'only stdio reached the container (3 is ls\'s own directory fd)');
      t.equal(r.status, 0);
      t.same(r.leftovers, []);
    });
  }

  t.test('a failure between start and exec (execve refused) fails start with its reason', async (t) => {
    const refuseExec = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['execve', 'execveat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
    const b = makeBundle(['true'], (c) => { c.linux.seccomp = refuseExec; c.process.noNewPrivileges = false; });
    const root = makeRoot();
    const id = uniqueId('sc');
    const cli = (...a) => ocits(['--root', root, ...a]);
    t.equal(ocitsToFiles(['--root', root, 'create', '--bundle', b.dir, id], b.dir).status, 0);
    const s = cli('start', id);
    t.equal(s.status, 1, 'start fails');
    t.match(s.stderr, new RegExp(`^ocits: start: container "${id}" failed to start: execve /bin/true: operation not permitted\\n$`), 'one line with the reason');
    t.equal(JSON.parse(cli('state', id).stdout).status, 'stopped');
    t.equal(cli('delete', id).status, 0);
    const r = runIn(root, b, uniqueId('sc'));
    t.equal(r.status, 1, 'run fails too');
    t.match(r.stderr, /failed to start: execve/);
    t.same(leftovers(root, b.dir, id), []);
    b.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  t.test('defaultErrnoRet sets the errno of the default action', async (t) => {
    const r = runWith(['sh', '-c', 'mkdir /dev/shm/d; echo c=$?'], podmanLike({ defaultErrnoRet: 13 }));
    t.equal(r.stdout, 'c=1\n', r.stderr);
    t.match(r.stderr, /Permission denied/);
  });

  t.test('KILL_PROCESS: the container dies by SIGSYS (status 159)', async (t) => {
    const r = runWith(['mkdir', '/dev/shm/k'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }] });
    t.equal(r.status, 159, r.stderr);
    t.same(r.leftovers, []);
  });

  t.test('KILL (thread) in a single-threaded process: SIGSYS too', async (t) => {
    const r = runWith(['mkdir', '/dev/shm/k'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }] });
    t.equal(r.status, 159, r.stderr);
  });

  t.test('an unknown syscall name is skipped, the container still runs', async (t) => {
    const r = runWith(['sh', '-c', 'echo ok; mkdir /dev/shm/u; echo rc=$?'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['ocits_no_such_syscall', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    });
    t.equal(r.stdout, 'ok\nrc=1\n', r.stderr);
    t.equal(r.status, 0);
  });

  t.test('several conditions on one argument (split into separate rules)', async (t) => {
    const r = runWith(['sh', '-c', 'linux64 true; echo a=$?; linux32 true; echo b=$?'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{
        names: ['personality'], action: 'SCMP_ACT_ERRNO',
        args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 0x20008, op: 'SCMP_CMP_EQ' }],
      }],
    });
    t.equal(r.stdout, 'a=0\nb=1\n', r.stderr);
  });

  t.test('flags and extra architectures are accepted', async (t) => {
    const r = runWith(['sh', '-c', 'echo ok'], {
      ...MKDIR_EPERM,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
      flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    });
    t.equal(r.stdout, 'ok\n', r.stderr);
    t.equal(r.status, 0);
  });

  // Debian 12 (CI) ships libseccomp 2.5.4, which lacks LoongArch; from 2.6 on
  // libseccomp knows every architecture the spec names, so there is nothing to refuse.
  if (!oldLibseccomp()) notApplicable(t, 'an architecture libseccomp lacks is refused at create', 'libseccomp >= 2.6 knows every architecture');
  else t.test('an architecture libseccomp lacks is refused at create', async (t) => {
    const r = runWith(['true'], { ...MKDIR_EPERM, architectures: ['SCMP_ARCH_LOONGARCH64'] });
    t.not(r.status, 0);
    t.match(r.stderr, /linux\.seccomp\.architectures: SCMP_ARCH_LOONGARCH64 is not supported by libseccomp/);
    t.same(r.leftovers, []);
  });

  t.test('an invalid profile is refused at create, naming the field', async (t) => {
    const r = runWith(['true'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] });
    t.not(r.status, 0);
    t.match(r.stderr, /syscalls(\[0\]\.|\/0\/)errnoRet/);
    t.same(r.leftovers, []);
  });
}

t.test('SCMP_ACT_NOTIFY: the notify fd and the container state go to listenerPath', async (t) => {
  const { spawn } = await import('node:child_process');
  const path = await import('node:path');
  const { REPO, fileRoot, ocits: run } = await import('../lib/bundle.mjs');
  const root = fileRoot(t);
  const b = makeBundle(['true'], (c) => {
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: path.join(c.__dir ?? '/tmp', 'unused'),
      listenerMetadata: 'meta-data',
      syscalls: [{ names: ['mknodat'], action: 'SCMP_ACT_NOTIFY' }],
    };
  });
  t.teardown(() => b.cleanup());
  const sock = path.join(b.dir, 'agent.sock');
  b.config.linux.seccomp.listenerPath = sock;
  b.write(b.config);
  const agent = spawn(PYTHON3, [path.join(REPO, 'test/fixtures/seccomp-listener.py'), sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => agent.kill());
  let out = '';
  await new Promise((resolve) => agent.stdout.on('data', (d) => { out += d; if (out.includes('listening')) resolve(); }));
  const id = uniqueId('notify');
  const r = run(['--root', root, 'create', '--bundle', b.dir, id]);
  t.equal(r.status, 0, r.stderr);
  await new Promise((resolve) => agent.on('exit', resolve));
  const got = JSON.parse(out.split('\n')[1]);
  t.equal(got.fd, 'anon_inode:seccomp notify', 'the fd is a seccomp notify fd');
  t.match(got.state, { fds: ['seccompFd'], metadata: 'meta-data', state: { id, status: 'creating', bundle: b.dir } });
  t.equal(got.state.pid, got.state.state.pid, 'pid of the container process');
  t.ok(got.state.pid > 1, 'as the host sees it');
  t.equal(run(['--root', root, 'delete', '--force', id]).status, 0);
  t.same(leftovers(root, b.dir, id), []);
});

t.test('SCMP_ACT_NOTIFY with a listenerPath nobody listens on fails create cleanly', (t) => {
  const root = makeRoot();
  const b = makeBundle(['true'], (c) => {
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/nonexistent/agent.sock', syscalls: [{ names: ['mknodat'], action: 'SCMP_ACT_NOTIFY' }] };
  });
  const id = uniqueId('notify');
  const r = runIn(root, b, id);
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: run: linux\.seccomp\.listenerPath \/nonexistent\/agent\.sock: no such file or directory\n$/);
  t.same(leftovers(root, b.dir, id), []);
  b.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
  t.end();
});
