// Loads real filters (src/sys/seccomp + src/linux/seccomp) in throwaway Node
// children: each child plans a linux.seccomp object, loads it, then either
// runs a few operations and prints their outcome as JSON, or execs busybox —
// as the container's init will. Needs libseccomp.so.2; no root (the child
// sets no_new_privs first unless told otherwise).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { requires, testIf } from '../lib/skip.mjs';

const LIB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/lib');
const require = createRequire(import.meta.url);
const sc = require(path.join(LIB, 'sys/seccomp.js'));
const BUSYBOX = '/usr/bin/busybox';

const CHILD = `
const fs = require('fs');
const LIB = ${JSON.stringify(LIB)};
const { planSeccomp } = require(LIB + '/linux/seccomp-plan.js');
const { loadSeccomp, prepareSeccomp } = require(LIB + '/linux/seccomp.js');
const libc = require(LIB + '/sys/libc.js');
const spec = JSON.parse(process.argv[1]);
const status = () => Object.fromEntries(fs.readFileSync('/proc/self/status', 'utf8').split('\\n')
  .filter((l) => /^(Seccomp|Seccomp_filters|NoNewPrivs):/.test(l)).map((l) => l.split(/:\\s+/)));
libc.prlimit(4 /* RLIMIT_CORE */, 0n, 0n);
if (spec.nnp !== false) libc.prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1);
for (let f = 0; f < 3; f++) libc.fcntl(f, 2 /* F_SETFD */, 0); // Node makes stdio close-on-exec
const out = { skipped: [], results: [] };
try {
  const plan = planSeccomp(spec.seccomp);
  if (spec.prepare) out.prepared = prepareSeccomp(plan);
  if (spec.chroot) { libc.chroot(spec.chroot); libc.chdir('/'); }
  if (spec.prepareOnly) throw new Error('not loaded');
  out.fd = loadSeccomp(plan, { onSkip: (name, source) => out.skipped.push([name, source]) });
  if (out.fd !== null) out.fdKind = fs.readlinkSync('/proc/self/fd/' + out.fd);
} catch (e) {
  out.error = { name: e.name, code: e.code, message: e.message };
}
if (spec.exec && !out.error) libc.execve(spec.exec[0], spec.exec, ['PATH=/bin:/usr/bin']);
const ops = {
  mkdir: (p) => fs.mkdirSync(p),
  rmdir: (p) => fs.rmdirSync(p),
  personality: (n) => libc.personality(n),
  kill: (sig) => libc.kill(process.pid, sig),
  status: () => status(),
};
for (const [op, ...args] of spec.ops ?? []) {
  try { out.results.push(ops[op](...args) ?? 'ok'); } catch (e) { out.results.push(e.code ?? e.message); }
}
fs.writeSync(1, JSON.stringify(out));
`;

let tmp;
function child(spec) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's loader hooks would start threads in the child
  const r = spawnSync(process.execPath, ['--single-threaded', '-e', CHILD, JSON.stringify(spec)], { encoding: 'utf8', cwd: tmp, env, timeout: 30000 });
  let json;
  try { json = JSON.parse(r.stdout); } catch { json = undefined; }
  return { ...r, json };
}

const ALLOW = 'SCMP_ACT_ALLOW';

if (!sc.available()) {
  requires(t, false, 'libseccomp.so.2 is not installed (scripts/setup.sh)');
} else {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-seccomp-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

  t.test('ERRNO rule: mkdir fails with EPERM, errnoRet picks another errno', async (t) => {
    fs.mkdirSync(path.join(tmp, 'gone'));
    const r = child({
      seccomp: {
        defaultAction: ALLOW,
        syscalls: [
          { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' },
          { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        ],
      },
      ops: [['mkdir', 'new'], ['rmdir', 'gone'], ['status']],
    });
    t.equal(r.status, 0, r.stderr);
    t.same(r.json.results.slice(0, 2), ['EPERM', 'EACCES']);
    t.same(r.json.results[2], { Seccomp: '2', Seccomp_filters: '1', NoNewPrivs: '1' }, 'one filter, filter mode');
    t.equal(r.json.fd, null, 'no notify rule: no fd');
    t.notOk(fs.existsSync(path.join(tmp, 'new')));
    t.ok(fs.existsSync(path.join(tmp, 'gone')));
  });

  t.test('argument conditions: NE, MASKED_EQ, and same-index conditions split into rules', async (t) => {
    const r = child({
      seccomp: {
        defaultAction: ALLOW,
        syscalls: [
          { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 0xff, valueTwo: 8, op: 'SCMP_CMP_MASKED_EQ' }] },
          // both on arg 1: must become two rules (one per signal), not one impossible AND
          { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 28, op: 'SCMP_CMP_EQ' }, { index: 1, value: 23, op: 'SCMP_CMP_EQ' }] },
        ],
      },
      ops: [['personality', 0xffffffff], ['personality', 8], ['personality', 0x0400008], ['kill', 0], ['kill', 28], ['kill', 23], ['kill', 17]],
    });
    t.equal(r.status, 0, r.stderr);
    t.same(r.json.results, [0, 'EACCES', 'EACCES', 'ok', 'EPERM', 'EPERM', 'ok']);
  });

  t.test('NE on a 32-bit value, as in podman profiles for personality', async (t) => {
    const r = child({
      seccomp: { defaultAction: ALLOW, syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }] }] },
      ops: [['personality', 0xffffffff], ['personality', 0]],
    });
    t.same(r.json.results, [0, 'EPERM']);
  });

  t.test('unknown syscall names are skipped, the rest still applies', async (t) => {
    const r = child({
      seccomp: { defaultAction: ALLOW, syscalls: [{ names: ['no_such_syscall_ocits', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] },
      ops: [['mkdir', 'x']],
    });
    t.equal(r.status, 0, r.stderr);
    t.same(r.json.skipped, [['no_such_syscall_ocits', 'linux.seccomp.syscalls[0]']]);
    t.same(r.json.results, ['EPERM']);
  });

  t.test('SCMP_ACT_NOTIFY: the listener fd is returned', async (t) => {
    const r = child({
      seccomp: { defaultAction: ALLOW, listenerPath: '/run/agent.sock', syscalls: [{ names: ['acct'], action: 'SCMP_ACT_NOTIFY' }] },
      ops: [['mkdir', 'fine']],
    });
    t.equal(r.status, 0, r.stderr);
    t.type(r.json.fd, 'number');
    t.ok(r.json.fd > 2);
    t.match(r.json.fdKind, /^anon_inode:.*seccomp/, 'a seccomp notify fd');
    t.same(r.json.results, ['ok']);
  });

  t.test('extra architectures and flags load', async (t) => {
    const r = child({
      seccomp: {
        defaultAction: ALLOW,
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
        flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
      },
      ops: [['mkdir', 'y']],
    });
    t.equal(r.status, 0, r.stderr);
    t.notOk(r.json.error);
    t.same(r.json.results, ['EPERM']);
  });

  t.test('a failure leaves no filter loaded', async (t) => {
    const v = sc.version();
    const old = v.major === 2 && v.minor < 6;
    const r = child({
      seccomp: old
        ? { defaultAction: ALLOW, architectures: ['SCMP_ARCH_LOONGARCH64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }
        : { defaultAction: ALLOW, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }], flags: ['SECCOMP_FILTER_FLAG_BOGUS'] },
      ops: [['status']],
    });
    t.equal(r.status, 0, r.stderr);
    t.ok(r.json.error, 'loadSeccomp threw');
    if (old) t.match(r.json.error.message, /^linux\.seccomp\.architectures: SCMP_ARCH_LOONGARCH64 is not supported by libseccomp 2\.5/);
    t.equal(r.json.results[0].Seccomp, '0');
  });

  testIf(t, process.getuid() === 0, 'needs root (CAP_SYS_ADMIN to load without no_new_privs)', 'no_new_privs is left alone (libseccomp would set it)', async (t) => {
    const r = child({ nnp: false, seccomp: { defaultAction: ALLOW, syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }, ops: [['status'], ['mkdir', 'z']] });
    t.equal(r.status, 0, r.stderr);
    t.same(r.json.results, [{ Seccomp: '2', Seccomp_filters: '1', NoNewPrivs: '0' }, 'EPERM']);
  });

  t.test('KILL_PROCESS: the process dies by SIGSYS', async (t) => {
    const r = child({ seccomp: { defaultAction: ALLOW, syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }] }, ops: [['mkdir', 'k']] });
    t.equal(r.signal, 'SIGSYS');
    t.equal(r.stdout, '');
    t.notOk(fs.existsSync(path.join(tmp, 'k')));
  });

  const haveBusybox = fs.existsSync(BUSYBOX);
  testIf(t, haveBusybox, 'no busybox', 'exec after loading (as the init does): SCMP_ACT_KILL kills the exec\'d program', async (t) => {
    const r = child({ seccomp: { defaultAction: ALLOW, syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }] }, exec: [BUSYBOX, 'mkdir', 'kk'] });
    t.equal(r.signal, 'SIGSYS', r.stderr);
    t.notOk(fs.existsSync(path.join(tmp, 'kk')));
  });

  // A podman-like allow list: default ERRNO, only what busybox sh, echo and the
  // exec from Node need. mkdir is not in it.
  const ALLOWED = [
    'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'open', 'openat', 'close', 'close_range', 'stat', 'fstat', 'lstat',
    'newfstatat', 'statx', 'lseek', 'mmap', 'mprotect', 'munmap', 'madvise', 'mremap', 'brk', 'rt_sigaction', 'rt_sigprocmask',
    'rt_sigreturn', 'sigaltstack', 'ioctl', 'access', 'faccessat', 'faccessat2', 'pipe', 'pipe2', 'dup', 'dup2', 'dup3', 'fcntl',
    'getpid', 'getppid', 'gettid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getgroups', 'getpgrp', 'setpgid', 'getpgid',
    'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'kill', 'tgkill',
    'uname', 'getcwd', 'chdir', 'readlink', 'readlinkat', 'getdents64', 'umask', 'clock_gettime', 'gettimeofday', 'nanosleep',
    'clock_nanosleep', 'prlimit64', 'getrlimit', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'futex',
    'getrandom', 'prctl', 'sendfile', 'poll', 'ppoll', 'select', 'pselect6', 'sched_yield', 'sched_getaffinity',
  ];
  const denyAll = (extra = {}) => ({ defaultAction: 'SCMP_ACT_ERRNO', ...extra, syscalls: [{ names: ALLOWED, action: ALLOW }] });

  testIf(t, haveBusybox, 'no busybox', 'default ERRNO with an allow list: the shell runs, the rest fails with EPERM', async (t) => {
    const r = child({ seccomp: denyAll(), exec: [BUSYBOX, 'sh', '-c', 'echo hi; mkdir d1; echo rc=$?'] });
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, 'hi\nrc=1\n');
    t.match(r.stderr, /Operation not permitted/);
    t.notOk(fs.existsSync(path.join(tmp, 'd1')));
  });

  testIf(t, haveBusybox, 'no busybox', 'defaultErrnoRet', async (t) => {
    const r = child({ seccomp: denyAll({ defaultErrnoRet: 13 }), exec: [BUSYBOX, 'sh', '-c', 'mkdir d2; echo rc=$?'] });
    t.equal(r.stdout, 'rc=1\n');
    t.match(r.stderr, /Permission denied/);
  });

  t.test('prepareSeccomp: a dry run that reports unknown names and loads nothing', async (t) => {
    const r = child({
      prepare: true, prepareOnly: true,
      seccomp: { defaultAction: ALLOW, syscalls: [{ names: ['no_such_syscall_ocits', 'mkdir', 'no_such_syscall_ocits'], action: 'SCMP_ACT_ERRNO' }] },
      ops: [['status'], ['mkdir', 'p']],
    });
    t.equal(r.status, 0, r.stderr);
    t.same(r.json.prepared, ['no_such_syscall_ocits']);
    t.same(r.json.results, [{ Seccomp: '0', Seccomp_filters: '0', NoNewPrivs: '1' }, 'ok']);
    const bad = child({ prepare: true, seccomp: { defaultAction: ALLOW, flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] } });
    const { seccompFlagSupported } = require(path.join(LIB, 'linux/seccomp.js'));
    if (!seccompFlagSupported('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV')) t.match(bad.json.error.message, /^linux\.seccomp\.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported/);
  });

  testIf(t, process.getuid() === 0, 'needs root (chroot)', 'after prepareSeccomp, loading works where libseccomp is not reachable (as after pivot_root)', async (t) => {
    const empty = fs.mkdtempSync(path.join(tmp, 'root-'));
    fs.mkdirSync(path.join(empty, 'd'));
    const seccomp = { defaultAction: ALLOW, syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    const ok = child({ prepare: true, chroot: empty, seccomp, ops: [['mkdir', '/d/x']] });
    t.equal(ok.status, 0, ok.stderr);
    t.notOk(ok.json.error);
    t.same(ok.json.results, ['EPERM']);
    const missing = child({ chroot: empty, seccomp, ops: [['mkdir', '/d/y']] });
    t.match(missing.json.error.message, /cannot load libseccomp\.so\.2/, 'without it the library cannot be opened');
    t.same(missing.json.results, ['ok']);
  });

  t.test('seccompFlagSupported probes libseccomp', async (t) => {
    const { seccompFlagSupported } = require(path.join(LIB, 'linux/seccomp.js'));
    t.equal(seccompFlagSupported('SECCOMP_FILTER_FLAG_TSYNC'), true);
    t.equal(seccompFlagSupported('SECCOMP_FILTER_FLAG_NOPE'), false);
    const v = sc.version();
    if (v.major === 2 && v.minor < 6) t.equal(seccompFlagSupported('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'), false, 'needs libseccomp 2.6');
  });

  t.test('binding errors carry the function and errno names', async (t) => {
    const ctx = sc.init(0x7fff0000);
    try {
      t.throws(() => sc.archAdd(ctx, sc.archNative(), 'native'), { name: 'SeccompError', code: 'EEXIST', syscall: 'seccomp_arch_add', message: 'seccomp_arch_add native: file exists' });
      t.throws(() => sc.attrSet(ctx, 999, 1), { code: 'EINVAL', syscall: 'seccomp_attr_set' });
      t.equal(sc.syscallResolveName('no_such_syscall_ocits'), sc.NR_SCMP_ERROR);
      t.ok(sc.syscallResolveName('read') >= 0);
      t.equal(sc.attrGet(ctx, 1), 0x7fff0000, 'ACT_DEFAULT reads back');
    } finally {
      sc.release(ctx);
    }
    t.throws(() => sc.init(0x12345678), { name: 'SeccompError', syscall: 'seccomp_init' });
  });
}
