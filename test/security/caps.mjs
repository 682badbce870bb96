// Identity: no inheritable or ambient capabilities unless configured
// (CVE-2022-29162, CVE-2022-24769, CVE-2022-27650), no_new_privs stops setuid,
// and users are numbers taken as given, never looked up in the image and never
// (uid_t)-1, which setresuid() reads as "stay root" (CVE-2016-3697,
// crun CVE-2026-30892).
// Checklist rows: caps-inh-empty, caps-file-inh, nnp-setuid, user-numeric,
// user-invalid.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot, BUSYBOX } from '../lib/bundle.mjs';
import { guardHost } from '../lib/security.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);
const hostUnchanged = guardHost(t);

const capField = (out, name) => BigInt('0x' + new RegExp(`^${name}:\\s+([0-9a-f]+)$`, 'm').exec(out)[1]);
const CAP_NET_RAW = 13n, CAP_SYS_ADMIN = 21n;
const has = (mask, bit) => ((mask >> bit) & 1n) === 1n;

/** A running container (uid 0) with busybox copies: /s/busybox setuid root, /c/busybox with cap_net_raw+ei. */
function box(t, edit) {
  const f = fixture(t, root, ['sleep', '120'], edit);
  for (const d of ['s', 'c']) {
    fs.mkdirSync(path.join(f.b.rootfs, d));
    fs.copyFileSync(BUSYBOX, path.join(f.b.rootfs, d, 'busybox'));
  }
  fs.chmodSync(path.join(f.b.rootfs, 's/busybox'), 0o4755);
  fs.chmodSync(path.join(f.b.rootfs, 'c/busybox'), 0o755);
  const sc = spawnSync('setcap', ['cap_net_raw+ei', path.join(f.b.rootfs, 'c/busybox')], { encoding: 'utf8' });
  t.equal(sc.status, 0, `setcap (libcap2-bin): ${sc.stderr}`);
  t.equal(f.create().status, 0);
  t.equal(f.cli('start', f.id).status, 0);
  return f;
}

t.test('caps-inh-empty: CapInh and CapAmb are zero in run and exec; exec --cap adds only to bounding, effective, permitted', async (t) => {
  const f = box(t);
  const run = f.cli('exec', f.id, 'grep', 'Cap', '/proc/1/status').stdout;
  t.equal(capField(run, 'CapInh'), 0n, 'init: CapInh 0');
  t.equal(capField(run, 'CapAmb'), 0n, 'init: CapAmb 0');
  const ex = f.cli('exec', '--cap', 'CAP_SYS_ADMIN', f.id, 'grep', 'Cap', '/proc/self/status').stdout;
  t.equal(capField(ex, 'CapInh'), 0n, 'exec --cap: CapInh 0 (runc < 1.1.2 put the cap there too)');
  t.equal(capField(ex, 'CapAmb'), 0n);
  for (const k of ['CapEff', 'CapPrm', 'CapBnd']) t.ok(has(capField(ex, k), CAP_SYS_ADMIN), `exec --cap: ${k} has CAP_SYS_ADMIN`);
});

t.test('caps-file-inh: a non-root user running a cap_net_raw+ei binary gets no capability', async (t) => {
  const f = box(t, (c) => { for (const k of ['bounding', 'effective', 'permitted']) c.process.capabilities[k].push('CAP_NET_RAW'); });
  const r = f.cli('exec', '--user', '1000', f.id, '/c/busybox', 'grep', 'CapEff', '/proc/self/status');
  t.equal(capField(r.stdout, 'CapEff'), 0n, `CapEff 0 (${r.stdout.trim()} ${r.stderr.trim()})`);
  // Control: with CAP_NET_RAW inheritable (as a buggy runtime set it), the same exec gains it.
  const g = box(t, (c) => { for (const k of ['bounding', 'effective', 'permitted', 'inheritable']) (c.process.capabilities[k] ??= []).push('CAP_NET_RAW'); });
  const r2 = g.cli('exec', '--user', '1000', g.id, '/c/busybox', 'grep', 'CapEff', '/proc/self/status');
  t.ok(has(capField(r2.stdout, 'CapEff'), CAP_NET_RAW), 'control: inheritable CAP_NET_RAW makes the file cap effective');
});

t.test('nnp-setuid: with no_new_privs a setuid-root binary stays uid 1000; without it, it gets uid 0', async (t) => {
  // busybox drops the effective uid itself for applets that need no privilege, but the saved
  // uid still shows what exec gave it: 0 if the setuid bit took effect.
  const euid = (out) => Number(/^Uid:\s+\d+\s+\d+\s+(\d+)/m.exec(out)?.[1]);
  const f = box(t);
  const r = f.cli('exec', '--user', '1000', f.id, '/s/busybox', 'grep', 'Uid', '/proc/self/status');
  t.equal(euid(r.stdout), 1000, `noNewPrivileges: the saved uid stays 1000 (${r.stdout.trim()})`);
  const g = box(t, (c) => { c.process.noNewPrivileges = false; });
  const r2 = g.cli('exec', '--user', '1000', g.id, '/s/busybox', 'grep', 'Uid', '/proc/self/status');
  t.equal(euid(r2.stdout), 0, 'control: without no_new_privs the setuid bit works (saved uid 0)');
});

t.test('user-numeric: uids are taken as numbers, even when the image\'s passwd says otherwise', async (t) => {
  const f = box(t);
  fs.appendFileSync(path.join(f.b.rootfs, 'etc/passwd'), '1000:x:0:0::/:/bin/sh\n1:x:0:0::/:/bin/sh\n');
  t.equal(f.cli('exec', '--user', '1', f.id, 'id', '-u').stdout, '1\n');
  t.equal(f.cli('exec', '--user', '1000:1000', f.id, 'sh', '-c', 'echo $(id -u) $(id -g)').stdout, '1000 1000\n');
});

t.test('user-invalid: -1, 4294967295, 1x, "" and a trailing colon are refused; never root', async (t) => {
  const f = box(t);
  for (const u of ['-1', '4294967295', '1x', '', '1:', '0:4294967295', '99999999999']) {
    const r = f.cli('exec', '--user', u, f.id, 'id', '-u');
    t.not(r.status, 0, `--user ${JSON.stringify(u)} refused`);
    t.notMatch(r.stdout, /^0$/m, 'did not run as root');
  }
  const c = fixture(t, root, ['id', '-u'], (c) => { c.process.user.uid = 4294967295; });
  const r = c.run();
  t.match(r.stderr, /\/process\/user\/uid: must be at most 4294967294/, 'config uid 4294967295 refused (it ran as root before)');
  t.equal(r.stdout, '');
});

hostUnchanged();
