// /sys/fs/cgroup as runc shapes it, side by side with runc on the same bundle:
// runc's default config (cgroup namespace, "ro"), the same without a cgroup
// namespace, real engine configs (a privileged CRI config asking "rw", podman
// with a private cgroup namespace), containers without a network namespace of
// their own (hostNetwork pods, ctr --net-host, podman --network host), and the
// owner of /dev/mqueue in a user namespace. This host is cgroup v1 hybrid (as
// CI is): the pure cgroup v2 shape is covered by test/unit/linux-mount-cgroup.mjs.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixture, fileRoot, isRoot, makeRootfs, uniqueId, ocits, leftovers } from '../lib/bundle.mjs';
import { runcRun, RUNC } from '../lib/runc-side.mjs';

t.ok(isRoot, 'integration tests run as root');
t.ok(fs.existsSync(RUNC), 'runc (the reference) is installed by scripts/setup.sh');
const root = fileRoot(t);
// The shared corpus of real engine configs (as test/differential uses it); its absence is a failure.
const corpusDir = process.env.OCITS_CORPUS ?? '/work/shared/corpus';
t.ok(fs.existsSync(corpusDir), `the corpus is at ${corpusDir}`);

const PROBE = [
  'grep -E " /sys/fs/cgroup(/| )" /proc/self/mountinfo',
  'echo "--- ls"; ls -l /sys/fs/cgroup | tail -n +2 | awk "{print \\$1, \\$9, \\$10, \\$11}"',
  'echo "--- mqueue $(stat -c %u:%g:%a /dev/mqueue)"',
  'touch /sys/fs/cgroup/x 2>/dev/null && echo "--- tmpfs writable" || echo "--- tmpfs read-only"',
].join('; ');

/** The probe's output, comparable across runs: mountinfo without ids and device numbers. */
function shape(out) {
  return out.split('\n').filter(Boolean).map((l) => {
    if (l.startsWith('---') || !/^\d+ \d+ /.test(l)) return l;
    const f = l.split(' ');
    return [f[3], f[4], f[5], ...f.slice(f.indexOf('-'))].join(' ');
  });
}

/** The mounts a process sees at /sys/fs/cgroup: the top one there and those on it (not what it covers). */
function visible(raw) {
  const all = raw.split('\n').filter((l) => /^\d+ \d+ /.test(l)).map((l) => {
    const f = l.split(' ');
    const [type, source, superOpts] = f.slice(f.indexOf('-') + 1);
    return { id: f[0], parent: f[1], root: f[3], point: f[4], opts: f[5].split(','), type, source, superOpts };
  });
  const top = all.filter((m) => m.point === '/sys/fs/cgroup').pop();
  return { top, subs: top ? all.filter((m) => m.parent === top.id) : [] };
}

function hostV1Names() {
  // The host's own hierarchies (not other mounts of them, such as CRIU's cgroup yard).
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(' - cgroup ') && l.split(' ')[4].startsWith('/sys/fs/cgroup/'))
    .map((l) => path.basename(l.split(' ')[4])).sort();
}

/** A bundle from a corpus config: placeholders filled, namespaces by path made new, a cgroup of our own. */
function corpusBundle(t, file, edit = () => {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-cg-'));
  fs.chmodSync(dir, 0o755);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  makeRootfs(dir);
  const host = path.join(dir, 'host');
  for (const f of ['hostname', 'hosts', 'resolv.conf', '.containerenv']) fs.writeFileSync(path.join(dir, f), '');
  fs.mkdirSync(path.join(dir, 'shm'));
  const text = fs.readFileSync(path.join(corpusDir, file), 'utf8');
  const c = JSON.parse(text.replaceAll('@BUNDLE@', dir).replaceAll('@STATE@', dir).replaceAll('@SANDBOX@', dir).replaceAll('@HOSTDIR@', host));
  for (const m of c.mounts) if (m.source?.startsWith(host) && !fs.existsSync(m.source)) fs.mkdirSync(m.source, { recursive: true });
  c.linux.namespaces = c.linux.namespaces.map(({ type }) => ({ type }));
  c.linux.cgroupsPath = `/ocits-cg-${uniqueId()}`;
  c.process.args = ['sh', '-c', PROBE];
  c.process.terminal = false;
  edit(c);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
  return { dir, config: c };
}

/** Runs the bundle with ocits and with runc; both must start; returns both outputs' shapes. */
function sideBySide(t, dir) {
  const id = uniqueId('cg');
  t.teardown(() => ocits(['--root', root, 'delete', '--force', id]));
  const o = ocits(['--root', root, 'run', '--bundle', dir, id]);
  t.equal(o.status, 0, `ocits starts${o.status ? `: ${o.stderr}` : ''}`);
  const r = runcRun(t, dir, uniqueId('runc'));
  t.equal(r.status, 0, `runc starts${r.status ? `: ${r.stderr}` : ''}`);
  t.same(leftovers(root, dir, id), [], 'nothing left by ocits');
  return { o: shape(o.stdout), r: shape(r.stdout), raw: o.stdout };
}

function expectV1Shape(t, raw, { readonly, cgroupNs }) {
  const { top, subs } = visible(raw);
  t.ok(top, 'a mount at /sys/fs/cgroup');
  t.equal(top?.type, 'tmpfs', 'a tmpfs');
  t.ok(top?.opts.includes('rw'), 'the tmpfs is read-write');
  t.match(raw, /^--- tmpfs writable$/m, 'and writable (by a process with CAP_DAC_OVERRIDE)');
  t.same(subs.map((m) => path.basename(m.point)).sort(), hostV1Names(), 'one mount per v1 hierarchy, named as on the host; no "unified"');
  t.ok(subs.every((m) => m.type === 'cgroup'), 'all cgroup v1');
  t.ok(subs.every((m) => m.opts.includes(readonly ? 'ro' : 'rw')), `controllers ${readonly ? 'read-only' : 'read-write'}`);
  if (cgroupNs) t.ok(subs.every((m) => m.root === '/'), 'each the root of the namespace');
  else t.ok(subs.every((m) => m.root !== '/'), "each the container's own cgroup");
  return subs;
}

/** runc's default config, in a cgroup of its own, with CAP_DAC_OVERRIDE to try writing the tmpfs. */
function defaultConfig(edit = () => {}) {
  return (c) => {
    c.root.readonly = false;
    c.linux.cgroupsPath = `/ocits-cg-${uniqueId()}`;
    for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_DAC_OVERRIDE');
    edit(c);
  };
}

t.test("runc's default config (cgroup namespace, ro): same shape as runc", async (t) => {
  const f = fixture(t, root, ['sh', '-c', PROBE], defaultConfig());
  const { o, r, raw } = sideBySide(t, f.b.dir);
  t.same(o, r, 'ocits and runc see the same');
  const subs = expectV1Shape(t, raw, { readonly: true, cgroupNs: true });
  t.ok(subs.some((m) => m.point === '/sys/fs/cgroup/systemd' && m.source === 'systemd' && m.superOpts.includes('name=systemd')), 'systemd: source "systemd", name=systemd');
});

t.test('no cgroup namespace: the own cgroup of each hierarchy, read-only, as runc', async (t) => {
  const f = fixture(t, root, ['sh', '-c', PROBE], defaultConfig((c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'cgroup'); }));
  const { o, r, raw } = sideBySide(t, f.b.dir);
  t.same(o, r, 'ocits and runc see the same');
  expectV1Shape(t, raw, { readonly: true, cgroupNs: false });
});

for (const [file, want] of [
  ['cri/privileged.json', { readonly: false, cgroupNs: false }],
  ['cri/container.json', { readonly: true, cgroupNs: false }],
  ['podman/run-cgroupns-private.json', { readonly: true, cgroupNs: true }],
  ['podman/run-privileged.json', { readonly: false, cgroupNs: false }],
]) {
  t.test(`${file}: same /sys/fs/cgroup as runc (${want.readonly ? 'ro' : 'rw'} controllers)`, async (t) => {
    const b = corpusBundle(t, file);
    const { o, r, raw } = sideBySide(t, b.dir);
    t.same(o, r, 'ocits and runc see the same');
    expectV1Shape(t, raw, want);
  });
}

// Item: containers without a network namespace of their own.
for (const [file, edit] of [
  ['containerd/run-net-host.json', () => {}],
  ['cri/host-network-pod-sandbox.json', () => {}],
  ['podman/run-namespaces-host.json', () => {}],
  ['cri/container.json', (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network'); }],
]) {
  t.test(`host network: ${file} starts, same mounts as runc`, async (t) => {
    const b = corpusBundle(t, file, edit);
    t.notOk(b.config.linux.namespaces.some((n) => n.type === 'network'), 'no network namespace of its own');
    const { o, r, raw } = sideBySide(t, b.dir);
    t.same(o, r, 'ocits and runc see the same');
    if (b.config.mounts.some((m) => m.destination === '/sys/fs/cgroup')) expectV1Shape(t, raw, { readonly: true, cgroupNs: false });
  });
}

t.test('user namespace without a network namespace: sysfs from the host, cgroups of its own (runc 1.1 cannot start it)', async (t) => {
  const b = corpusBundle(t, 'podman/run-userns-uidmap.json', (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network'); });
  fs.chownSync(b.dir, 0, 0);
  for (const p of walk(path.join(b.dir, 'rootfs'))) fs.lchownSync(p, 200000, 200000);
  const id = uniqueId('cg');
  t.teardown(() => ocits(['--root', root, 'delete', '--force', id]));
  const o = ocits(['--root', root, 'run', '--bundle', b.dir, id]);
  t.equal(o.status, 0, `ocits starts${o.status ? `: ${o.stderr}` : ''}`);
  expectV1Shape(t, o.stdout, { readonly: true, cgroupNs: false });
});

t.test('/dev/mqueue in a user namespace: owner and group as runc', async (t) => {
  for (const file of ['podman/run-userns-uidmap.json', 'containerd/run-userns-config.json']) {
    const b = corpusBundle(t, file);
    for (const p of walk(path.join(b.dir, 'rootfs'))) fs.lchownSync(p, 200000, 200000);
    const { o, r } = sideBySide(t, b.dir);
    const line = (lines) => lines.find((l) => l.startsWith('--- mqueue'));
    t.equal(line(o), line(r), `${file}: ${line(r)}`);
    t.match(line(o), /^--- mqueue 0:65534:1777$/, 'root of the container, the (unmapped) group of the caller');
  }
});

function* walk(p) {
  yield p;
  const st = fs.lstatSync(p);
  if (st.isDirectory()) for (const e of fs.readdirSync(p)) yield* walk(path.join(p, e));
}
