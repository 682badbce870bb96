import t from 'tap';
import data from '../../dist/lib/linux/seccomp-data.js';

const {
  SECCOMP_ACTIONS, SECCOMP_OPERATORS, SECCOMP_ARCHES, SECCOMP_FLAGS, SCMP_FLTATR, DEFAULT_ERRNO_RET,
  actionInfo, actionValue, operatorValue, archToken, flagInfo, nativeArchName, seccompFeatures,
} = data;

t.test('actions → libseccomp values', async (t) => {
  const v = (name, ret) => actionValue(actionInfo(name), ret);
  t.equal(v('SCMP_ACT_KILL'), 0x00000000);
  t.equal(v('SCMP_ACT_KILL_THREAD'), 0x00000000);
  t.equal(v('SCMP_ACT_KILL_PROCESS'), 0x80000000);
  t.equal(v('SCMP_ACT_TRAP'), 0x00030000);
  t.equal(v('SCMP_ACT_ERRNO'), 0x00050001, 'ERRNO defaults to EPERM');
  t.equal(v('SCMP_ACT_ERRNO', 38), 0x00050026);
  t.equal(v('SCMP_ACT_ERRNO', 0), 0x00050000, 'errnoRet 0 is kept');
  t.equal(v('SCMP_ACT_TRACE'), 0x7ff00001, 'TRACE defaults to EPERM too');
  t.equal(v('SCMP_ACT_TRACE', 0x1234), 0x7ff01234);
  t.equal(v('SCMP_ACT_NOTIFY'), 0x7fc00000);
  t.equal(v('SCMP_ACT_LOG'), 0x7ffc0000);
  t.equal(v('SCMP_ACT_ALLOW'), 0x7fff0000);
  t.equal(v('SCMP_ACT_ALLOW', 5), 0x7fff0000, 'data is ignored by actions without data');
  t.equal(DEFAULT_ERRNO_RET, 1);
  t.equal(Object.keys(SECCOMP_ACTIONS).length, 9);
  t.equal(actionInfo('SCMP_ACT_FOO'), undefined);
  t.equal(actionInfo('toString'), undefined, 'no prototype lookups');
  for (const name of Object.keys(SECCOMP_ACTIONS)) t.ok(actionValue(actionInfo(name)) >= 0, `${name} is unsigned`);
});

t.test('operators → enum scmp_compare', async (t) => {
  t.same(SECCOMP_OPERATORS, {
    SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
  });
  t.equal(operatorValue('SCMP_CMP_MASKED_EQ'), 7);
  t.equal(operatorValue('EQ'), undefined);
  t.equal(operatorValue('constructor'), undefined);
});

t.test('architectures → AUDIT_ARCH tokens', async (t) => {
  // values as libseccomp 2.5.4's seccomp_arch_resolve_name returns them, plus 2.6's additions
  const expected = {
    SCMP_ARCH_X86: 0x40000003, SCMP_ARCH_X86_64: 0xc000003e, SCMP_ARCH_X32: 0x4000003e,
    SCMP_ARCH_ARM: 0x40000028, SCMP_ARCH_AARCH64: 0xc00000b7,
    SCMP_ARCH_MIPS: 0x8, SCMP_ARCH_MIPS64: 0x80000008, SCMP_ARCH_MIPS64N32: 0xa0000008,
    SCMP_ARCH_MIPSEL: 0x40000008, SCMP_ARCH_MIPSEL64: 0xc0000008, SCMP_ARCH_MIPSEL64N32: 0xe0000008,
    SCMP_ARCH_PPC: 0x14, SCMP_ARCH_PPC64: 0x80000015, SCMP_ARCH_PPC64LE: 0xc0000015,
    SCMP_ARCH_S390: 0x16, SCMP_ARCH_S390X: 0x80000016,
    SCMP_ARCH_PARISC: 0xf, SCMP_ARCH_PARISC64: 0x8000000f, SCMP_ARCH_RISCV64: 0xc00000f3,
    SCMP_ARCH_LOONGARCH64: 0xc0000102, SCMP_ARCH_M68K: 0x4, SCMP_ARCH_SH: 0x4000002a, SCMP_ARCH_SHEB: 0x2a,
  };
  t.same(SECCOMP_ARCHES, expected);
  t.equal(archToken('SCMP_ARCH_X86_64'), 0xc000003e);
  t.equal(archToken('x86_64'), undefined);
  t.equal(new Set(Object.values(SECCOMP_ARCHES)).size, 23, 'tokens are distinct');
  t.equal(nativeArchName('x64'), 'SCMP_ARCH_X86_64');
  t.equal(nativeArchName('arm64'), 'SCMP_ARCH_AARCH64');
  t.equal(nativeArchName('sparc'), undefined);
  t.ok(nativeArchName(), 'this machine has a known native arch');
});

t.test('flags → filter attributes', async (t) => {
  t.same(SCMP_FLTATR, {
    ACT_DEFAULT: 1, ACT_BADARCH: 2, CTL_NNP: 3, CTL_TSYNC: 4, API_TSKIP: 5, CTL_LOG: 6, CTL_SSB: 7,
    CTL_OPTIMIZE: 8, API_SYSRAWRC: 9, CTL_WAITKILL: 10,
  });
  t.equal(flagInfo('SECCOMP_FILTER_FLAG_TSYNC').attr, 4);
  t.equal(flagInfo('SECCOMP_FILTER_FLAG_LOG').attr, 6);
  t.equal(flagInfo('SECCOMP_FILTER_FLAG_SPEC_ALLOW').attr, 7);
  t.equal(flagInfo('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV').attr, 10);
  t.same(Object.values(SECCOMP_FLAGS).map((f) => f.bit), [1, 2, 4, 32]);
  t.equal(flagInfo('SECCOMP_FILTER_FLAG_NEW_LISTENER'), undefined, 'NEW_LISTENER is implied by NOTIFY, not a config flag');
});

t.test('seccompFeatures', async (t) => {
  const f = seccompFeatures();
  t.equal(f.enabled, true);
  t.same(f.actions, ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
    'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP']);
  t.same(f.operators, ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE']);
  t.equal(f.archs.length, 23);
  t.ok(f.archs.includes('SCMP_ARCH_X86_64'));
  t.same(f.knownFlags, ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
    'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
  t.same(f.supportedFlags, [], 'no probe: nothing claimed');
  t.same(seccompFeatures((flag) => flag !== 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV').supportedFlags,
    ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']);
  t.same(JSON.parse(JSON.stringify(f)), f, 'plain JSON');
});
