// Bind mounts of a container with a user namespace whose sources only the host's
// root can reach (under a 0700 root-owned directory): the runtime opens them as
// host root inside the init's mount namespace and the init binds the fds, as runc
// does. Side by side with runc. Without cgroup namespace or cgroup mount, so that
// nothing else in the config can fail.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot } from '../lib/bundle.mjs';
import { runcRun, RUNC } from '../lib/runc-side.mjs';

t.ok(isRoot, 'integration tests run as root');
t.ok(fs.existsSync(RUNC), 'runc (the reference) is installed by scripts/setup.sh');
const root = fileRoot(t);
const HOST = 100000;

/** A 0700 root-owned directory with a directory and a file in it. */
function rootOnly(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-rootonly-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  fs.chmodSync(d, 0o700);
  fs.mkdirSync(path.join(d, 'data'));
  fs.writeFileSync(path.join(d, 'data', 'f'), 'in a dir\n');
  fs.writeFileSync(path.join(d, 'file'), 'a file\n');
  fs.chownSync(path.join(d, 'file'), HOST, HOST); // the container's root may write it, once it gets there
  return d;
}

function usernsFixture(t, args, edit) {
  const f = fixture(t, root, args, (c) => {
    c.root.readonly = false;
    c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'cgroup').concat([{ type: 'user' }]);
    c.mounts = c.mounts.filter((m) => m.type !== 'cgroup');
    c.linux.uidMappings = [{ containerID: 0, hostID: HOST, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: HOST, size: 65536 }];
    edit(c);
  });
  fs.chmodSync(f.b.dir, 0o755);
  if (spawnSync('chown', ['-R', '-h', `${HOST}:${HOST}`, f.b.rootfs]).status !== 0) throw new Error('chown of the rootfs failed');
  return f;
}

t.test('binds of sources under a directory only host root can enter, in a user namespace (as runc)', async (t) => {
  const src = rootOnly(t);
  const script = 'cat /data/f /one; grep -E " /data | /one " /proc/self/mountinfo | cut -d" " -f4-6; (echo x > /data/new) 2>/dev/null || echo data-read-only; echo y >> /one && echo one-writable';
  const f = usernsFixture(t, ['sh', '-c', script], (c) => {
    c.mounts.push({ destination: '/data', type: 'bind', source: path.join(src, 'data'), options: ['rbind', 'ro'] });
    c.mounts.push({ destination: '/one', type: 'bind', source: path.join(src, 'file'), options: ['bind', 'rw'] });
  });
  const probe = spawnSync('setpriv', ['--reuid', String(HOST), '--regid', String(HOST), '--clear-groups', 'cat', path.join(src, 'file')], { encoding: 'utf8' });
  t.not(probe.status, 0, 'the source is out of reach of the container root (host uid 100000)');
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const want = [
    'in a dir', 'a file',
    `${path.join(src, 'data')} /data ro,relatime`, `${path.join(src, 'file')} /one rw,relatime`,
    'data-read-only', 'one-writable', '',
  ].join('\n');
  t.equal(r.stdout, want, 'contents, flags, ro and rw as asked');
  t.equal(fs.readFileSync(path.join(src, 'file'), 'utf8'), 'a file\ny\n', 'the write reached the host file');
  t.same(f.leftovers(), []);
  fs.writeFileSync(path.join(src, 'file'), 'a file\n');
  const rc = runcRun(t, f.b.dir, `runc-${f.id}`);
  t.equal(rc.status, 0, rc.stderr);
  t.equal(rc.stdout, want, 'runc sees the same');
});

t.test('a missing source in a user namespace: the usual one-line error', async (t) => {
  const src = rootOnly(t);
  const f = usernsFixture(t, ['true'], (c) => {
    c.mounts.push({ destination: '/data', type: 'bind', source: path.join(src, 'nope'), options: ['rbind'] });
  });
  const r = f.run();
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: .*\/nope.*(no such file or directory|permission denied)\n$/);
  t.same(f.leftovers(), []);
});

t.test('device nodes in a user namespace are binds, in the order runc makes them', async (t) => {
  const f = usernsFixture(t, ['cat', '/proc/self/mountinfo'], (c) => {
    c.linux.devices = [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 },
      { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o600 },
    ];
  });
  const binds = (out) => out.split('\n').filter((l) => l.includes(' - devtmpfs ')).map((l) => l.split(' ')[4]);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.same(binds(r.stdout), ['/dev/null', '/dev/random', '/dev/full', '/dev/tty', '/dev/urandom', '/dev/fuse', '/dev/zero', '/proc/keys', '/proc/timer_list']);
  const rc = runcRun(t, f.b.dir, `runc-${f.id}`);
  t.equal(rc.status, 0, rc.stderr);
  t.same(binds(r.stdout), binds(rc.stdout), 'runc binds the same, in the same order');
});
