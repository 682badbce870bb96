import t from 'tap';
import rl from '../../dist/lib/linux/rlimits.js';

const { RLIMITS, RLIM_INFINITY, parseRlimits, rlimitResource, rlimitName, toRlimValue } = rl;

t.test('table', async (t) => {
  const expected = ['CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS', 'SIGPENDING', 'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME'];
  expected.forEach((n, i) => t.equal(RLIMITS['RLIMIT_' + n], i, n));
  t.equal(Object.keys(RLIMITS).length, 16);
  t.equal(rlimitResource('RLIMIT_NOFILE'), 7);
  t.equal(rlimitResource('NOFILE'), undefined);
  t.equal(rlimitResource('hasOwnProperty'), undefined);
  t.equal(rlimitName(8), 'RLIMIT_MEMLOCK');
  t.equal(rlimitName(16), undefined);
  t.equal(RLIM_INFINITY, 18446744073709551615n);
});

t.test('parseRlimits', async (t) => {
  t.same(parseRlimits(undefined), []);
  t.same(parseRlimits([
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
    { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
    { type: 'RLIMIT_STACK', soft: 8388608n, hard: 18446744073709551615n },
    { type: 'RLIMIT_AS', soft: 18446744073709551615, hard: 18446744073709551615 },
  ]), [
    { type: 'RLIMIT_NOFILE', resource: 7, soft: 1024n, hard: 4096n },
    { type: 'RLIMIT_CORE', resource: 4, soft: 0n, hard: 0n },
    { type: 'RLIMIT_STACK', resource: 3, soft: 8388608n, hard: RLIM_INFINITY },
    { type: 'RLIMIT_AS', resource: 9, soft: RLIM_INFINITY, hard: RLIM_INFINITY },
  ]);
});

t.test('errors', async (t) => {
  t.throws(() => parseRlimits([{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_FOO', soft: 1, hard: 1 }]), {
    message: '/process/rlimits/1/type: unknown rlimit type "RLIMIT_FOO"',
  });
  t.throws(() => parseRlimits([{ type: 'RLIMIT_NOFILE', soft: 4096, hard: 1024 }]), {
    message: '/process/rlimits/0: soft limit 4096 is greater than hard limit 1024 for RLIMIT_NOFILE',
  });
  t.throws(() => parseRlimits([{ type: 'RLIMIT_NOFILE', soft: 1, hard: 2 }, { type: 'RLIMIT_NOFILE', soft: 1, hard: 2 }]), {
    message: '/process/rlimits/1/type: duplicate rlimit type "RLIMIT_NOFILE" (also /process/rlimits/0)',
  });
  t.throws(() => parseRlimits([{ type: 'RLIMIT_NOFILE', soft: -1, hard: 2 }]), { message: '/process/rlimits/0/soft: value -1 out of range' });
  t.throws(() => parseRlimits([{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1.5 }]), { message: /^\/process\/rlimits\/0\/hard: expected a non-negative integer/ });
  t.throws(() => parseRlimits([{ type: 'RLIMIT_NOFILE', soft: 1, hard: '2' }]), { message: /^\/process\/rlimits\/0\/hard:/ });
  t.throws(() => toRlimValue(1n << 64n, '/w'), { message: '/w: value 18446744073709551616 out of range' });
});
