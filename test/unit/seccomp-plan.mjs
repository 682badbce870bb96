import t from 'tap';
import planMod from '../../dist/lib/linux/seccomp-plan.js';

const { planSeccomp, seccompIssues, argGroups, wantsOptimize, SeccompConfigError } = planMod;

const ALLOW = 0x7fff0000;
const EPERM_ACT = 0x00050001;
const issues = (s) => seccompIssues(s);

t.test('no seccomp: no plan', async (t) => {
  t.equal(planSeccomp(undefined), null);
  t.equal(planSeccomp(null), null);
});

t.test('a small filter', async (t) => {
  const p = planSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  });
  t.same(p, {
    defaultAction: ALLOW, defaultActionName: 'SCMP_ACT_ALLOW', architectures: [], flags: [], attrs: [], notify: false,
    rules: [
      { name: 'mkdir', action: EPERM_ACT, actionName: 'SCMP_ACT_ERRNO', args: [], source: 'linux.seccomp.syscalls[0]' },
      { name: 'mkdirat', action: EPERM_ACT, actionName: 'SCMP_ACT_ERRNO', args: [], source: 'linux.seccomp.syscalls[0]' },
    ],
  });
  t.equal(wantsOptimize(p), false);
});

t.test('default action and errno data', async (t) => {
  t.equal(planSeccomp({ defaultAction: 'SCMP_ACT_ERRNO' }).defaultAction, 0x00050001, 'EPERM by default');
  t.equal(planSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 }).defaultAction, 0x00050026);
  t.equal(planSeccomp({ defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 7 }).defaultAction, 0x7ff00007);
  t.equal(planSeccomp({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }).defaultAction, 0x80000000);
  t.equal(planSeccomp({ defaultAction: 'SCMP_ACT_KILL' }).defaultAction, 0);
  t.equal(planSeccomp({ defaultAction: 'SCMP_ACT_LOG' }).defaultAction, 0x7ffc0000);
  const p = planSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] });
  t.equal(p.rules[0].action, 0x0005000d);
});

t.test('rules with the default action are dropped (libseccomp refuses them)', async (t) => {
  const p = planSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1,
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
      { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['unlink'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 },
    ],
  });
  t.same(p.rules.map((r) => r.name), ['read', 'write', 'unlink'], 'same action and same errno: dropped; other errno: kept');
});

t.test('argument conditions', async (t) => {
  const p = planSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{
      names: ['personality'], action: 'SCMP_ACT_ERRNO',
      args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }, { index: 1, value: 3, valueTwo: 1, op: 'SCMP_CMP_MASKED_EQ' }],
    }],
  });
  t.equal(p.rules.length, 1, 'distinct indexes: one rule');
  t.same(p.rules[0].args, [
    { index: 0, op: 1, opName: 'SCMP_CMP_NE', value: 0xffffffffn, valueTwo: 0n },
    { index: 1, op: 7, opName: 'SCMP_CMP_MASKED_EQ', value: 3n, valueTwo: 1n },
  ]);
  for (const [op, n] of [['SCMP_CMP_NE', 1], ['SCMP_CMP_LT', 2], ['SCMP_CMP_LE', 3], ['SCMP_CMP_EQ', 4], ['SCMP_CMP_GE', 5], ['SCMP_CMP_GT', 6], ['SCMP_CMP_MASKED_EQ', 7]]) {
    const r = planSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_LOG', args: [{ index: 5, value: 0, op }] }] });
    t.equal(r.rules[0].args[0].op, n, op);
  }
});

t.test('64-bit values', async (t) => {
  const p = planSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['x'], action: 'SCMP_ACT_KILL', args: [{ index: 2, value: 18446744073709551615n, valueTwo: 2n ** 63n, op: 'SCMP_CMP_MASKED_EQ' }] }],
  });
  t.same(p.rules[0].args[0], { index: 2, op: 7, opName: 'SCMP_CMP_MASKED_EQ', value: 0xffffffffffffffffn, valueTwo: 0x8000000000000000n });
  t.same(issues({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 2 ** 64, op: 'SCMP_CMP_EQ' }] }] }),
    ['linux.seccomp.syscalls[0].args[0].value: must be a uint64 (got 18446744073709552000)']);
  t.same(issues({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 2n ** 64n, op: 'SCMP_CMP_EQ' }] }] }),
    ['linux.seccomp.syscalls[0].args[0].value: must be a uint64 (got 18446744073709551616)']);
  t.same(issues({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 1.5, valueTwo: -1, op: 'SCMP_CMP_EQ' }] }] }),
    ['linux.seccomp.syscalls[0].args[0].value: must be a uint64 (got 1.5)', 'linux.seccomp.syscalls[0].args[0].valueTwo: must be a uint64 (got -1)']);
});

t.test('several conditions on one index become one rule each (as runc)', async (t) => {
  const args = [
    { index: 0, value: 1, op: 'SCMP_CMP_NE' },
    { index: 0, value: 2, op: 'SCMP_CMP_NE' },
    { index: 1, value: 3, op: 'SCMP_CMP_EQ' },
  ];
  const p = planSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a', 'b'], action: 'SCMP_ACT_ERRNO', args }] });
  t.equal(p.rules.length, 6, '2 names × 3 single-condition rules');
  t.same(p.rules.map((r) => [r.name, r.args.length, r.args[0].value]), [
    ['a', 1, 1n], ['a', 1, 2n], ['a', 1, 3n], ['b', 1, 1n], ['b', 1, 2n], ['b', 1, 3n],
  ]);
  t.same(argGroups([]), [[]]);
  const two = [{ index: 0 }, { index: 1 }];
  t.same(argGroups(two), [two]);
  t.same(argGroups([{ index: 2 }, { index: 2 }]), [[{ index: 2 }], [{ index: 2 }]]);
});

t.test('architectures and flags', async (t) => {
  const p = planSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86'],
    flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG'],
  });
  t.same(p.architectures, [
    { name: 'SCMP_ARCH_X86_64', token: 0xc000003e },
    { name: 'SCMP_ARCH_X86', token: 0x40000003 },
    { name: 'SCMP_ARCH_X32', token: 0x4000003e },
  ], 'deduplicated, native kept (skipped when loading)');
  t.same(p.flags, ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC']);
  t.same(p.attrs, [
    { attr: 6, value: 1, flag: 'SECCOMP_FILTER_FLAG_LOG' },
    { attr: 7, value: 1, flag: 'SECCOMP_FILTER_FLAG_SPEC_ALLOW' },
    { attr: 4, value: 1, flag: 'SECCOMP_FILTER_FLAG_TSYNC' },
  ]);
  t.same(planSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }).attrs,
    [{ attr: 10, value: 1, flag: 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' }]);
});

t.test('notify and the listener', async (t) => {
  const p = planSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', listenerMetadata: 'meta',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  });
  t.equal(p.notify, true);
  t.equal(p.listenerPath, '/run/agent.sock');
  t.equal(p.listenerMetadata, 'meta');
  t.equal(p.rules[0].action, 0x7fc00000);
  const q = planSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
  t.equal(q.notify, false, 'a listener path alone does not make a notify filter');
  t.same(issues({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }),
    ['linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY']);
  t.same(issues({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/s' }),
    ['linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action']);
  t.same(issues({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/s', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }] }),
    ['linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write syscall']);
});

t.test('validation errors name the JSON path', async (t) => {
  t.same(issues({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_FOO'],
    flags: ['SECCOMP_FILTER_FLAG_BAR'],
    syscalls: [
      { names: ['a'], action: 'SCMP_ACT_ALLOW' },
      { names: ['b'], action: 'SCMP_ACT_ERRNO' },
      { names: ['c'], action: 'SCMP_ACT_TRAP' },
      { names: ['d'], action: 'SCMP_ACT_FOO' },
      { names: [], action: 'SCMP_ACT_ERRNO' },
      { names: ['e', ''], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 1, op: 'EQ' }] },
    ],
  }), [
    'linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_FOO"',
    'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_BAR"',
    'linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"',
    'linux.seccomp.syscalls[4].names: must list at least one syscall',
    'linux.seccomp.syscalls[5].names[1]: must be a syscall name (got "")',
    'linux.seccomp.syscalls[5].args[0].index: must be an argument number from 0 to 5 (got 6)',
    'linux.seccomp.syscalls[5].args[1].op: unknown operator "EQ"',
  ]);
  t.same(issues({ defaultAction: 'SCMP_ACT_FOO' }), ['linux.seccomp.defaultAction: unknown action "SCMP_ACT_FOO"']);
  t.same(issues({ defaultAction: 'SCMP_ACT_ALLOW' }), []);
});

t.test('errnoRet only with ERRNO or TRACE, in range', async (t) => {
  t.same(issues({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }),
    ['linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is SCMP_ACT_ALLOW)']);
  t.same(issues({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['x'], action: 'SCMP_ACT_KILL_PROCESS', errnoRet: 1 }] }),
    ['linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is SCMP_ACT_KILL_PROCESS)']);
  t.same(issues({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 }),
    ['linux.seccomp.defaultErrnoRet: must be an integer from 0 to 65535 (got 70000)']);
  t.same(issues({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_TRACE', errnoRet: -1 }] }),
    ['linux.seccomp.syscalls[0].errnoRet: must be an integer from 0 to 65535 (got -1)']);
});

t.test('planSeccomp throws every issue at once', async (t) => {
  const bad = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_FOO'], syscalls: [{ names: ['x'], action: 'SCMP_ACT_FOO' }] };
  try {
    planSeccomp(bad);
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof SeccompConfigError);
    t.equal(e.name, 'SeccompConfigError');
    t.same(e.issues, ['linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_FOO"', 'linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_FOO"']);
    t.equal(e.message, e.issues.join('; '));
  }
  t.throws(() => planSeccomp(bad, '/linux/seccomp'), { message: /^\/linux\/seccomp\.architectures\[0\]/ }, 'custom prefix');
});

t.test('large profiles ask for the binary-tree optimisation', async (t) => {
  const names = Array.from({ length: 40 }, (_, i) => `sys${i}`);
  t.equal(wantsOptimize(planSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] })), true);
});
