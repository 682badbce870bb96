// Mount propagation seen from both sides, with runc side by side: a host directory
// made a shared mount point, bind-mounted into a running container with rshared,
// rslave or rprivate; a mount made on the host under it must show inside for
// rshared/rslave (not rprivate), a mount made inside must show on the host for
// rshared only. Every linux.rootfsPropagation value starts and gives "/" its type;
// the CRI corpus configs for Kubernetes mount propagation start.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot, makeBundle, makeRootfs, uniqueId, ocitsEnv, OCITS, leftovers } from '../lib/bundle.mjs';

const RUNC = '/usr/sbin/runc';
t.ok(isRoot, 'integration tests run as root');
t.ok(fs.existsSync(RUNC), 'runc (the reference) is installed by scripts/setup.sh');
const root = fileRoot(t);

const sh = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' });
const mountinfo = () => fs.readFileSync('/proc/self/mountinfo', 'utf8');
/** The optional fields (shared:N, master:N, unbindable) of the last mount at `point` in a mountinfo text; null if none there. */
function optional(text, point) {
  const l = text.split('\n').filter((x) => x.split(' ')[4] === point).pop();
  if (!l) return null;
  const f = l.split(' ');
  return f.slice(6, f.indexOf('-'));
}

/** A host directory that is a shared mount point of its own; unmounted (with whatever came under it) after the test. */
function sharedHostDir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-prop-'));
  t.equal(sh('mount', ['--bind', d, d]).status, 0, 'mount --bind');
  t.equal(sh('mount', ['--make-shared', d]).status, 0, 'mount --make-shared');
  t.teardown(() => {
    sh('umount', ['-R', '-l', d]);
    fs.rmSync(d, { recursive: true, force: true });
  });
  const group = optional(mountinfo(), d)?.find((o) => o.startsWith('shared:'));
  t.ok(group, `${d} is shared on the host`);
  return { dir: d, group };
}

const RUNTIMES = [{ name: 'ocits', bin: OCITS }, { name: 'runc', bin: RUNC }];

/** Runs `bin --root R ...args` with output to files (a created container keeps its stdio). */
function cli(rt, stateRoot, args, dir) {
  const out = path.join(dir, `${rt.name}-${args[0]}-${process.hrtime.bigint()}.out`);
  const fd = fs.openSync(out, 'w');
  try {
    const r = spawnSync(rt.bin, ['--root', stateRoot, ...args], { stdio: ['ignore', fd, fd], timeout: 60000, env: ocitsEnv() });
    return { status: r.status, output: fs.readFileSync(out, 'utf8') };
  } finally {
    fs.closeSync(fd);
  }
}

const MODES = [
  { option: 'rshared', rootfsPropagation: 'rshared', tag: 'shared', hostToContainer: true, containerToHost: true },
  { option: 'rslave', rootfsPropagation: 'rslave', tag: 'master', hostToContainer: true, containerToHost: false },
  { option: 'rprivate', rootfsPropagation: undefined, tag: null, hostToContainer: false, containerToHost: false },
];

for (const mode of MODES) {
  for (const rt of RUNTIMES) {
    t.test(`${rt.name}: a bind with ${mode.option} propagates ${mode.hostToContainer ? 'from the host' : 'nothing in'}${mode.containerToHost ? ' and back' : ''}`, async (t) => {
      const host = sharedHostDir(t);
      const stateRoot = rt.name === 'ocits' ? root : fs.mkdtempSync(path.join(os.tmpdir(), 'runc-root-'));
      const b = makeBundle(['sleep', '1000'], (c) => {
        if (mode.rootfsPropagation) c.linux.rootfsPropagation = mode.rootfsPropagation;
        c.mounts.push({ destination: '/b', type: 'bind', source: host.dir, options: ['rbind', mode.option, 'rw'] });
      });
      const id = uniqueId('prop');
      t.teardown(() => {
        cli(rt, stateRoot, ['delete', '--force', id], b.dir);
        b.cleanup();
        if (rt.name === 'runc') fs.rmSync(stateRoot, { recursive: true, force: true });
      });
      const created = cli(rt, stateRoot, ['create', '--bundle', b.dir, id], b.dir);
      t.equal(created.status, 0, `create: ${created.output}`);
      t.equal(cli(rt, stateRoot, ['start', id], b.dir).status, 0, 'start');

      // The container's view of /b, before anything is mounted under it.
      const before = cli(rt, stateRoot, ['exec', id, 'cat', '/proc/self/mountinfo'], b.dir);
      t.equal(before.status, 0, before.output);
      const tags = optional(before.output, '/b');
      t.ok(tags, '/b is a mount inside');
      if (mode.tag) t.ok(tags.includes(`${mode.tag}:${host.group.split(':')[1]}`), `/b is ${mode.tag} with the host's peer group (${host.group}): ${tags.join(' ')}`);
      else t.notOk(tags.some((o) => /^(shared|master):/.test(o)), `/b neither shared nor slave: ${tags.join(' ')}`);

      // host -> container
      fs.mkdirSync(path.join(host.dir, 'fromhost'));
      t.equal(sh('mount', ['-t', 'tmpfs', 'fromhost', path.join(host.dir, 'fromhost')]).status, 0, 'a mount on the host under the source');
      const seen = cli(rt, stateRoot, ['exec', id, 'cat', '/proc/self/mountinfo'], b.dir);
      t.equal(optional(seen.output, '/b/fromhost') !== null, mode.hostToContainer, `the host's mount ${mode.hostToContainer ? 'shows' : 'does not show'} inside`);

      // container -> host
      const inner = cli(rt, stateRoot, ['exec', '--cap', 'CAP_SYS_ADMIN', id, 'sh', '-c', 'mkdir -p /b/frominside && mount -t tmpfs frominside /b/frominside && echo mounted'], b.dir);
      t.equal(inner.output, 'mounted\n', 'a mount made inside, under /b');
      t.equal(optional(mountinfo(), path.join(host.dir, 'frominside')) !== null, mode.containerToHost, `the container's mount ${mode.containerToHost ? 'shows' : 'does not show'} on the host`);
    });
  }
}

const ROOT_PROPAGATION = {
  shared: /^shared:\d+$/, rshared: /^shared:\d+$/, slave: null, rslave: null, private: null, rprivate: null, unbindable: /^unbindable$/, runbindable: /^unbindable$/,
};
for (const [value, want] of Object.entries(ROOT_PROPAGATION)) {
  t.test(`rootfsPropagation ${value}: the container starts, "/" is ${want ? want.source : 'neither shared nor unbindable'}`, async (t) => {
    const host = sharedHostDir(t); // pivot_root refuses a shared root or parent mount: make the host side shared
    const f = fixture(t, root, ['cat', '/proc/self/mountinfo'], (c) => {
      c.linux.rootfsPropagation = value;
      c.mounts.push({ destination: '/b', type: 'bind', source: host.dir, options: ['rbind'] });
    });
    const r = f.run();
    t.equal(r.status, 0, r.stderr);
    const tags = optional(r.stdout, '/');
    t.ok(tags, 'a root mount');
    if (want) t.ok(tags.some((o) => want.test(o)), `"/": ${tags.join(' ')}`);
    else t.notOk(tags.some((o) => /^shared:|^unbindable$/.test(o)), `"/": ${tags.join(' ')}`);
    t.same(f.leftovers(), []);
  });
}

// The CRI plugin's configs for Kubernetes Bidirectional, HostToContainer and None mount propagation.
const corpusDir = path.join(process.env.OCITS_CORPUS ?? '/work/shared/corpus', 'cri');
for (const [name, tag] of [['mount-propagation-bidirectional', 'shared'], ['mount-propagation-host-to-container', 'master'], ['mount-propagation-private', null]]) {
  for (const rt of RUNTIMES) {
    t.test(`${rt.name}: CRI ${name}.json starts, the volume is ${tag ?? 'private'}`, async (t) => {
      const file = path.join(corpusDir, `${name}.json`);
      t.ok(fs.existsSync(file), `${file} (the shared corpus) is there`);
      const host = sharedHostDir(t);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-cri-'));
      const stateRoot = rt.name === 'ocits' ? root : fs.mkdtempSync(path.join(os.tmpdir(), 'runc-root-'));
      const id = uniqueId('cri');
      t.teardown(() => {
        cli(rt, stateRoot, ['delete', '--force', id], dir);
        fs.rmSync(dir, { recursive: true, force: true });
        if (rt.name === 'runc') fs.rmSync(stateRoot, { recursive: true, force: true });
      });
      makeRootfs(dir);
      for (const f of ['hostname', 'hosts', 'resolv.conf']) fs.writeFileSync(path.join(dir, f), '');
      fs.mkdirSync(path.join(dir, 'shm'));
      const c = JSON.parse(fs.readFileSync(file, 'utf8').replaceAll('@SANDBOX@', dir).replaceAll('@HOSTDIR@', host.dir));
      const volume = c.mounts.find((m) => m.source.startsWith(host.dir));
      fs.mkdirSync(volume.source, { recursive: true });
      // The pod's namespaces are gone: new ones; a cgroup of our own.
      c.linux.namespaces = c.linux.namespaces.map(({ type }) => ({ type }));
      c.linux.cgroupsPath = `/ocits-test-${id}`;
      c.process.args = ['cat', '/proc/self/mountinfo'];
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
      const r = cli(rt, stateRoot, ['run', '--bundle', dir, id], dir);
      t.equal(r.status, 0, `run${r.status ? `: ${r.output.slice(0, 500)}` : ""}`);
      const tags = optional(r.output, volume.destination);
      t.ok(tags, 'the volume is mounted');
      if (tag) t.ok(tags.includes(`${tag}:${host.group.split(':')[1]}`), `${tag} with the host: ${tags.join(' ')}`);
      else t.notOk(tags.some((o) => /^(shared|master):/.test(o)), `private: ${tags.join(' ')}`);
      if (rt.name === 'ocits') t.same(leftovers(root, dir, id), []);
    });
  }
}
