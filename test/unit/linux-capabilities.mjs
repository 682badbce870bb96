import t from 'tap';
import caps from '../../dist/lib/linux/capabilities.js';

const { ALL_CAPS, lastCap, capsToMask, maskToCaps, maskToUserCapData, userCapDataToMask, capNumber, capName, fullMask, parseCapabilities } = caps;

t.test('table', async (t) => {
  t.equal(ALL_CAPS.length, 41);
  t.equal(lastCap, 40);
  t.equal(capNumber('CAP_CHOWN'), 0);
  t.equal(capNumber('CAP_KILL'), 5);
  t.equal(capNumber('CAP_NET_BIND_SERVICE'), 10);
  t.equal(capNumber('CAP_NET_RAW'), 13);
  t.equal(capNumber('CAP_SYS_ADMIN'), 21);
  t.equal(capNumber('CAP_MKNOD'), 27);
  t.equal(capNumber('CAP_AUDIT_WRITE'), 29);
  t.equal(capNumber('CAP_SETFCAP'), 31);
  t.equal(capNumber('CAP_MAC_OVERRIDE'), 32);
  t.equal(capNumber('CAP_AUDIT_READ'), 37);
  t.equal(capNumber('CAP_PERFMON'), 38);
  t.equal(capNumber('CAP_BPF'), 39);
  t.equal(capNumber('CAP_CHECKPOINT_RESTORE'), 40);
  t.equal(capNumber('CAP_FOO'), undefined);
  t.equal(capNumber('toString'), undefined);
  t.equal(capName(21), 'CAP_SYS_ADMIN');
  t.equal(new Set(ALL_CAPS).size, 41);
});

t.test('capsToMask', async (t) => {
  t.equal(capsToMask([], '/x'), 0n);
  t.equal(capsToMask(['CAP_CHOWN'], '/x'), 1n);
  t.equal(capsToMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE'], '/x'), (1n << 5n) | (1n << 10n) | (1n << 29n));
  t.equal(capsToMask(['CAP_CHECKPOINT_RESTORE', 'CAP_CHECKPOINT_RESTORE'], '/x'), 1n << 40n);
  t.equal(capsToMask(ALL_CAPS, '/x'), 0x1ffffffffffn);
  t.equal(fullMask(), 0x1ffffffffffn);
  t.throws(() => capsToMask(['CAP_CHOWN', 'CAP_FOO'], '/process/capabilities/bounding'), {
    message: 'unknown capability "CAP_FOO" in /process/capabilities/bounding',
  });
  t.throws(() => capsToMask(['chown'], '/process/capabilities/effective'), {
    message: 'unknown capability "chown" in /process/capabilities/effective',
  });
  const unknown = [];
  t.equal(capsToMask(['CAP_FOO', 'CAP_KILL'], '/x', { onUnknown: (n) => unknown.push(n) }), 32n);
  t.same(unknown, ['CAP_FOO']);
  // a kernel that only knows up to CAP_AUDIT_READ (37)
  t.throws(() => capsToMask(['CAP_BPF'], '/p', { kernelLastCap: 37 }), { message: 'unknown capability "CAP_BPF" in /p' });
  t.equal(capsToMask(['CAP_AUDIT_READ'], '/p', { kernelLastCap: 37 }), 1n << 37n);
});

t.test('maskToCaps', async (t) => {
  t.same(maskToCaps((1n << 5n) | (1n << 40n) | 1n), ['CAP_CHOWN', 'CAP_KILL', 'CAP_CHECKPOINT_RESTORE']);
  t.same(maskToCaps(0n), []);
});

t.test('user cap data words', async (t) => {
  t.same(maskToUserCapData(0n), [0, 0]);
  t.same(maskToUserCapData(1n << 5n), [32, 0]);
  t.same(maskToUserCapData(1n << 31n), [0x80000000, 0]);
  t.same(maskToUserCapData(1n << 32n), [0, 1]);
  t.same(maskToUserCapData(0x1ffffffffffn), [0xffffffff, 0x1ff]);
  t.same(maskToUserCapData((1n << 40n) | (1n << 21n)), [1 << 21, 1 << 8]);
  t.equal(userCapDataToMask(0xffffffff, 0x1ff), 0x1ffffffffffn);
  t.equal(userCapDataToMask(-1, 1), 0x1ffffffffn);
});

t.test('parseCapabilities', async (t) => {
  const m = parseCapabilities({ bounding: ['CAP_KILL'], effective: ['CAP_CHOWN', 'CAP_KILL'] });
  t.same(m, { bounding: 32n, effective: 33n, inheritable: 0n, permitted: 0n, ambient: 0n });
  t.same(parseCapabilities(undefined), { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n });
  t.throws(() => parseCapabilities({ ambient: ['CAP_NOPE'] }), {
    message: 'unknown capability "CAP_NOPE" in /process/capabilities/ambient',
  });
});

t.test('splitAmbient: only caps both permitted and inheritable can be raised (runc\'s default config has none)', async (t) => {
  const m = (names) => caps.capsToMask(names, '/x');
  const dflt = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  t.same(caps.splitAmbient({ ambient: m(dflt), permitted: m(dflt), inheritable: 0n }), { raise: 0n, skipped: m(dflt) });
  t.same(caps.splitAmbient({ ambient: m(dflt), permitted: m(dflt), inheritable: m(['CAP_KILL']) }),
    { raise: m(['CAP_KILL']), skipped: m(['CAP_AUDIT_WRITE', 'CAP_NET_BIND_SERVICE']) });
  t.same(caps.splitAmbient({ ambient: m(['CAP_KILL']), permitted: 0n, inheritable: m(['CAP_KILL']) }), { raise: 0n, skipped: m(['CAP_KILL']) });
  t.same(caps.splitAmbient({ ambient: 0n, permitted: m(dflt), inheritable: m(dflt) }), { raise: 0n, skipped: 0n });
});
