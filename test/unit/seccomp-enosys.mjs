// The ENOSYS stub (issue 10 item 10): under a deny-by-default profile, a syscall newer than
// every syscall the profile names gets ENOSYS, not the default errno, so libc falls back as
// on an older kernel; one the profile names but libseccomp does not know (mseal here) too.
// Loads real filters in throwaway Node children (no root: no_new_privs is set first).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { requires } from '../lib/skip.mjs';

const LIB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/lib');
const require = createRequire(import.meta.url);
const sc = require(path.join(LIB, 'sys/seccomp.js'));
const { enosysStub, STUB_LAST_NR } = require(path.join(LIB, 'linux/seccomp-enosys.js'));
const ALLOW = 0x7fff0000;
const ERRNO = 0x00050000;

t.same(enosysStub(ALLOW, [1, 2, 450]), [], 'no stub under an allowing default');
t.same(enosysStub(ERRNO | 1, [-1]), [], 'no stub without a known syscall');
t.same(enosysStub(ERRNO | 1, [3, STUB_LAST_NR - 2, -1]), [STUB_LAST_NR - 1, STUB_LAST_NR], 'numbers above the largest named one');

// The child allows every syscall libseccomp knows except mkdir and mkdirat, names mseal (462 on
// x86_64, unknown to libseccomp 2.5.4) as allowed, then reports errno of raw syscalls.
const CHILD = `
const LIB = ${JSON.stringify(LIB)};
const koffi = require(${JSON.stringify(require.resolve('koffi'))});
const { planSeccomp } = require(LIB + '/linux/seccomp-plan.js');
const { loadSeccomp } = require(LIB + '/linux/seccomp.js');
const scl = koffi.load('libseccomp.so.2');
const resolve = scl.func('char *seccomp_syscall_resolve_num_arch(uint32_t arch, int num)');
const libc = koffi.load('libc.so.6');
const syscall = libc.func('long syscall(long nr, long a, long b, long c)');
const prctl = libc.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
const names = [];
for (let nr = 0; nr < 512; nr++) { const n = resolve(0, nr); if (n && n !== 'mkdir' && n !== 'mkdirat') names.push(n); }
const def = JSON.parse(process.argv[1]);
prctl(38, 1, 0, 0, 0);
loadSeccomp(planSeccomp({ defaultAction: def, ...(def === 'SCMP_ACT_ERRNO' ? { defaultErrnoRet: 1 } : {}), syscalls: [{ names: [...names, 'mseal'], action: 'SCMP_ACT_ALLOW' }] }));
const errnoOf = (nr, a, b, c) => (syscall(nr, a, b, c) < 0 ? koffi.errno() : 0);
const status = require('fs').readFileSync('/proc/self/status', 'utf8').match(/^Seccomp:\\s+(\\d+)/m)[1];
process.stdout.write(JSON.stringify({ mkdir: errnoOf(83, 0, 0o755, 0), mseal: errnoOf(462, 0, 0, 0), status }));
`;

function child(defaultAction) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, ['-e', CHILD, JSON.stringify(defaultAction)], { encoding: 'utf8', env, timeout: 30000 });
  let json;
  try { json = JSON.parse(r.stdout); } catch { json = undefined; }
  return { ...r, json };
}

if (!sc.available() || process.arch !== 'x64') {
  requires(t, false, 'needs libseccomp.so.2 (scripts/setup.sh) on x86_64 (the syscall numbers are x86_64\'s)');
} else {
  sc.preload();
  t.test('a deny-by-default profile: ENOSYS for the unknown mseal, the default errno for mkdir', async (t) => {
    t.equal(sc.syscallResolveName('mseal'), -1, 'libseccomp here does not know mseal (else this test proves nothing)');
    const r = child('SCMP_ACT_ERRNO');
    t.equal(r.status, 0, r.stderr);
    t.same(r.json, { mkdir: 1, mseal: 38, status: '2' });
  });
  t.test('an allowing default: no stub, mseal reaches the kernel', async (t) => {
    const r = child('SCMP_ACT_ALLOW');
    t.equal(r.status, 0, r.stderr);
    t.not(r.json?.mseal, 38, 'not ENOSYS');
  });
}
