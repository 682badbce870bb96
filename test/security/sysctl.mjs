// Kernel settings stay the container's own: sysctls only in namespaces the
// container has (runc's validate.sysctl; before the fix kernel.core_pattern in
// a config changed the host's, whose pipe helper runs as host root), a
// hostname only with a UTS namespace, namespace paths checked for their type.
// Checklist rows: sysctl-forbidden, sysctl-net-hostns, sysctl-traversal,
// hostname-no-uts, ns-path-mismatch.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixture, fileRoot, isRoot } from '../lib/bundle.mjs';
import { guardHost, hostSettings } from '../lib/security.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);
const hostUnchanged = guardHost(t);

function refused(t, what, edit, why) {
  const before = hostSettings();
  const f = fixture(t, root, ['cat', '/proc/sys/kernel/core_pattern'], edit);
  const r = f.run();
  t.not(r.status, 0, `${what}: refused`);
  t.match(r.stderr, why, `${what}: ${r.stderr.trim()}`);
  t.same(hostSettings(), before, `${what}: host unchanged`);
  t.same(f.leftovers(), []);
}

t.test('sysctl-forbidden: host-wide sysctls are refused', async (t) => {
  for (const [k, v] of [['kernel.core_pattern', '|/tmp/ocits-pwn'], ['vm.swappiness', '7'], ['kernel/core_pattern', '|/tmp/x'], ['fs.file-max', '1000']]) {
    refused(t, k, (c) => { c.linux.sysctl = { [k]: v }; }, /is not in a separate kernel namespace/);
  }
  refused(t, 'kernel.hostname', (c) => { c.linux.sysctl = { 'kernel.hostname': 'x' }; }, /conflicts with the "hostname" field/);
  refused(t, 'kernel.shmmax without ipc', (c) => { c.linux.sysctl = { 'kernel.shmmax': '1000' }; c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'ipc'); }, /host's ipc namespace/);
});

t.test('sysctl-net-hostns: net.* without a network namespace, or with the host\'s, is refused', async (t) => {
  refused(t, 'no netns', (c) => { c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network'); }, /host's network namespace/);
  refused(t, 'host netns path', (c) => {
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${process.pid}/ns/net` } : n));
  }, /host's network namespace \(\/proc\/\d+\/ns\/net\)/);
  // Control: in the container's own network namespace it applies and reads back inside.
  const f = fixture(t, root, ['cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/shmmax'], (c) => { c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '123456789' }; });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '1\n123456789\n', 'control: namespaced sysctls apply inside');
});

t.test('sysctl-traversal: keys with .. or empty components are refused', async (t) => {
  for (const k of ['net/../kernel/core_pattern', 'net.ipv4..ip_forward', 'net/./ipv4/ip_forward']) {
    refused(t, k, (c) => { c.linux.sysctl = { [k]: '|/tmp/ocits-pwn' }; }, /is not a valid name/);
  }
});

t.test('hostname-no-uts: a hostname without a UTS namespace is refused', async (t) => {
  refused(t, 'hostname', (c) => { c.hostname = 'pwned'; c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'uts'); }, /requires a uts namespace/);
  refused(t, 'domainname', (c) => { delete c.hostname; c.domainname = 'pwned'; c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'uts'); }, /requires a uts namespace/);
});

t.test('ns-path-mismatch: a namespace path of another type, or a regular file, is refused', async (t) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-nsfile-')), 'ns');
  fs.writeFileSync(file, '');
  t.teardown(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
  for (const [what, p] of [['a mount namespace', `/proc/${process.pid}/ns/mnt`], ['a regular file', file]]) {
    const f = fixture(t, root, ['true'], (c) => { c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: p } : n)); });
    const r = f.run();
    t.not(r.status, 0, `network path to ${what}: refused`);
    t.match(r.stderr, /linux.namespaces: network namespace .*: not a network namespace/, r.stderr.trim());
    t.same(f.leftovers(), []);
  }
});

hostUnchanged();
