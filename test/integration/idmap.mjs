// ID-mapped bind mounts (options idmap/ridmap, mount uidMappings/gidMappings),
// checked from inside real containers and on the host: ownership through the
// mapping, where files created inside land, submounts, containers with their own
// user namespace, propagation back to a shared host mount, and bad input.
// A mapping is written as is: source uid `containerID` shows as `hostID`.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot, ocits, ocitsSpawn } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);
const HOST = 100000;
const SIZE = 65536;
const map = (containerID, hostID, size = 1) => [{ containerID, hostID, size }];

function tmpDir(t, prefix = 'ocits-idmap-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A host dir (and a file in it) owned by uid:gid, writable by its owner only. */
function ownedDir(t, uid, gid = uid) {
  const d = tmpDir(t);
  fs.writeFileSync(path.join(d, 'file'), 'host\n');
  fs.chownSync(path.join(d, 'file'), uid, gid);
  fs.chownSync(d, uid, gid);
  fs.chmodSync(d, 0o755);
  return d;
}

/** Mounts a tmpfs at dir/sub on the host (unmounted at teardown). */
function hostSubmount(t, dir, opts = []) {
  const sub = path.join(dir, 'sub');
  fs.mkdirSync(sub, { recursive: true });
  t.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', sub]).status, 0, 'host submount made');
  for (const o of opts) spawnSync('mount', [o, sub]);
  t.teardown(() => spawnSync('umount', ['-l', sub]));
  return sub;
}

/** The container's mountinfo line for a mount point, split on spaces. */
function mountLine(mountinfo, point) {
  const l = mountinfo.split('\n').filter((x) => x.split(' ')[4] === point).pop();
  return l ? l.split(' ') : null;
}

const hostMountsUnder = (dir) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => (l.split(' ')[4] ?? '').startsWith(dir + '/'));

/** A container in a new user namespace (0..65535 → 100000..), its rootfs owned by its root. */
function usernsFixture(t, args, edit) {
  const f = fixture(t, root, args, (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = map(0, HOST, SIZE);
    c.linux.gidMappings = map(0, HOST, SIZE);
    edit(c);
  });
  fs.chmodSync(f.b.dir, 0o755);
  t.equal(spawnSync('chown', ['-R', '-h', `${HOST}:${HOST}`, f.b.rootfs]).status, 0, 'rootfs chowned');
  return f;
}

t.test('features: idmap is enabled and its options are listed', async (t) => {
  const r = ocits(['features']);
  t.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.equal(doc.linux.mountExtensions.idmap.enabled, true);
  t.ok(doc.mountOptions.includes('idmap') && doc.mountOptions.includes('ridmap'), 'idmap and ridmap in mountOptions');
});

t.test('no user namespace: a host dir owned by 1000, mapped 1000 → 0, is root\'s inside; files made inside are 1000\'s on the host', async (t) => {
  const src = ownedDir(t, 1000, 1001);
  const f = fixture(t, root, ['sh', '-c', 'stat -c "%u %g" /idm/file /idm; echo new > /idm/made; mkdir /idm/dir; cat /proc/self/mountinfo'], (c) => {
    c.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: map(1000, 0), gidMappings: map(1001, 0) });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.same(lines.slice(0, 2), ['0 0', '0 0'], 'the file and the dir are owned by 0:0 inside');
  t.ok(mountLine(lines.slice(2).join('\n'), '/idm')?.[5].split(',').includes('idmapped'), 'mountinfo says idmapped');
  for (const name of ['made', 'dir']) {
    const st = fs.statSync(path.join(src, name));
    t.same([st.uid, st.gid], [1000, 1001], `${name} is 1000:1001 on the host`);
  }
  t.equal(fs.readFileSync(path.join(src, 'made'), 'utf8'), 'new\n');
  t.same(f.leftovers(), []);
});

t.test('ids outside the mapping show as the overflow id and cannot be written', async (t) => {
  const src = ownedDir(t, 0);
  const f = fixture(t, root, ['sh', '-c', 'stat -c "%u %g" /idm/file; touch /idm/x 2>/dev/null; echo "rc=$?"'], (c) => {
    c.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: map(0, 1000), gidMappings: map(0, 1000) });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '1000 1000\nrc=1\n', 'source uid 0 is seen as 1000; root inside (uid 0) is not mapped and cannot create files');
  t.notOk(fs.existsSync(path.join(src, 'x')));
});

t.test('options still apply after the mapping: ro, file bind mounts, propagation', async (t) => {
  const src = ownedDir(t, 1000);
  const f = fixture(t, root, ['sh', '-c', 'stat -c %u /ro/file /one; touch /ro/x 2>/dev/null; echo "rc=$?"; cat /proc/self/mountinfo'], (c) => {
    c.mounts.push({ destination: '/ro', type: 'bind', source: src, options: ['bind', 'idmap', 'ro', 'nosuid', 'private'], uidMappings: map(1000, 0), gidMappings: map(1000, 0) });
    c.mounts.push({ destination: '/one', type: 'bind', source: path.join(src, 'file'), options: ['bind', 'idmap'], uidMappings: map(1000, 0), gidMappings: map(1000, 0) });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.same(lines.slice(0, 3), ['0', '0', 'rc=1'], 'both mapped; the ro one refuses writes');
  const info = lines.slice(3).join('\n');
  const ro = mountLine(info, '/ro');
  t.ok(ro && ['ro', 'nosuid', 'idmapped'].every((o) => ro[5].split(',').includes(o)), `ro,nosuid,idmapped (${ro?.[5]})`);
  t.notOk(ro?.slice(6, ro.indexOf('-')).some((o) => /^(shared|master):/.test(o)), 'private');
  t.ok(mountLine(info, '/one')?.[5].includes('idmapped'), 'a file can be idmapped too');
});

t.test('rbind + ridmap maps the submounts; rbind + idmap only the top', async (t) => {
  const src = ownedDir(t, 1000);
  const sub = hostSubmount(t, src);
  fs.chownSync(sub, 1000, 1000);
  fs.writeFileSync(path.join(sub, 'subfile'), 'x');
  fs.chownSync(path.join(sub, 'subfile'), 1000, 1000);
  const m = { uidMappings: map(1000, 0), gidMappings: map(1000, 0) };
  const f = fixture(t, root, ['sh', '-c', 'stat -c %u /r/sub/subfile /i/sub/subfile; touch /r/sub/made; cat /proc/self/mountinfo'], (c) => {
    c.mounts.push({ destination: '/r', type: 'bind', source: src, options: ['rbind', 'ridmap'], ...m });
    c.mounts.push({ destination: '/i', type: 'bind', source: src, options: ['rbind', 'idmap'], ...m });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.same(lines.slice(0, 2), ['0', '1000'], 'ridmap maps the submount; idmap leaves it as it is');
  const info = lines.slice(2).join('\n');
  t.ok(mountLine(info, '/r/sub')?.[5].includes('idmapped'), 'the ridmap submount is idmapped');
  const isub = mountLine(info, '/i/sub');
  t.ok(isub && !isub[5].includes('idmapped'), 'the idmap submount is there, not idmapped');
  t.equal(fs.statSync(path.join(sub, 'made')).uid, 1000, 'a file made in the mapped submount is 1000\'s on the host');
  t.same(f.leftovers(), []);
});

t.test('a shared host mount: the clone does not propagate the container\'s mounts back', async (t) => {
  const shared = tmpDir(t);
  t.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', shared]).status, 0);
  t.teardown(() => spawnSync('umount', ['-R', '-l', shared]));
  spawnSync('mount', ['--make-shared', shared]);
  fs.mkdirSync(path.join(shared, 'src', 'inner'), { recursive: true });
  const f = fixture(t, root, ['sh', '-c', 'cat /proc/self/mountinfo'], (c) => {
    c.mounts.push({ destination: '/idm', type: 'bind', source: path.join(shared, 'src'), options: ['rbind', 'idmap'], uidMappings: map(0, 1000), gidMappings: map(0, 1000) });
    c.mounts.push({ destination: '/idm/inner', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const idm = mountLine(r.stdout, '/idm');
  t.ok(idm?.some((o) => o.startsWith('master:')), `the idmapped mount is a slave of the host's (${idm?.slice(5, idm.indexOf('-')).join(' ')})`);
  t.same(hostMountsUnder(shared), [], 'nothing mounted under the shared host dir');
});

t.test('user namespace: idmap without mappings takes the container\'s, so host root\'s files are the container root\'s', async (t) => {
  const src = ownedDir(t, 0);
  const plain = ownedDir(t, 0);
  const f = usernsFixture(t, ['sh', '-c', 'id -u; stat -c "%u %g" /idm/file /plain/file; echo hi > /idm/made; cat /proc/self/mountinfo'], (c) => {
    c.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['bind', 'idmap'] });
    c.mounts.push({ destination: '/plain', type: 'bind', source: plain, options: ['bind'] });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.same(lines.slice(0, 3), ['0', '0 0', '65534 65534'], 'host 0 is 0 through the idmapped mount, nobody through the plain bind');
  t.ok(mountLine(lines.slice(3).join('\n'), '/idm')?.[5].includes('idmapped'));
  const st = fs.statSync(path.join(src, 'made'));
  t.same([st.uid, st.gid], [0, 0], 'the container root\'s file is host root\'s on the host');
  t.same(f.leftovers(), []);
});

t.test('user namespace: a mount\'s own mappings win over the container\'s', async (t) => {
  const src = ownedDir(t, 1000);
  const f = usernsFixture(t, ['sh', '-c', 'stat -c "%u %g" /idm/file; touch /idm/made; echo done'], (c) => {
    // source 1000 → host 100000 → container 0.
    c.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['rbind', 'ridmap'], uidMappings: map(1000, HOST), gidMappings: map(1000, HOST) });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '0 0\ndone\n');
  t.equal(fs.statSync(path.join(src, 'made')).uid, 1000, 'and back to 1000 on the host');
});

t.test('user namespace: a source the container\'s ids cannot reach is mounted all the same (the runtime opens it)', async (t) => {
  const locked = tmpDir(t); // 0700, host root's
  const src = path.join(locked, 'src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'file'), 'x');
  const f = usernsFixture(t, ['sh', '-c', 'stat -c %u /idm/file; cat /idm/file; echo'], (c) => {
    c.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['bind', 'idmap', 'ro'] });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '0\nx\n');
});

t.test('no fd of the runtime\'s idmap work reaches the container', async (t) => {
  const src = ownedDir(t, 1000);
  const f = usernsFixture(t, ['sleep', '30'], (c) => {
    c.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['bind', 'idmap'] });
    c.mounts.push({ destination: '/idm2', type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: map(1000, HOST), gidMappings: map(1000, HOST) });
  });
  const child = ocitsSpawn(['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], { stdio: ['ignore', 'ignore', 'ignore'] });
  t.equal(await new Promise((resolve) => child.on('close', resolve)), 0);
  const pid = f.state()?.pid;
  t.ok(pid > 0);
  if (!pid) return;
  t.same(fs.readdirSync(`/proc/${pid}/fd`).sort(), ['0', '1', '2']);
});

t.test('a symlinked destination stays inside the rootfs', async (t) => {
  const src = ownedDir(t, 1000);
  const f = fixture(t, root, ['sh', '-c', 'stat -c %u /inside/file'], (c) => {
    c.mounts.push({ destination: '/lnk', type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: map(1000, 0), gidMappings: map(1000, 0) });
  });
  const escape = tmpDir(t, 'ocits-escape-');
  fs.symlinkSync(`../../../../../../..${escape}/../../../inside`, path.join(f.b.rootfs, 'lnk'));
  fs.mkdirSync(path.join(f.b.rootfs, 'inside'));
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '0\n', 'mounted at the link\'s target inside the rootfs');
  t.same(fs.readdirSync(escape), [], 'nothing outside');
});

function failsWith(t, r, re) {
  t.equal(r.status, 1, 'exit status 1');
  t.match(r.stderr, /^ocits: [^\n]+\n$/, `one line (${JSON.stringify(r.stderr)})`);
  t.match(r.stderr, re);
}

t.test('bad input: a one-line error naming the config entry, nothing left behind', async (t) => {
  const src = ownedDir(t, 1000);
  const cases = [
    ['idmap on a tmpfs', { destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['idmap'], uidMappings: map(0, 1), gidMappings: map(0, 1) },
      /config\.json: \/mounts\/7\/options: idmap\/ridmap are only supported on bind mounts/],
    ['mappings on a tmpfs', { destination: '/x', type: 'tmpfs', source: 'tmpfs', uidMappings: map(0, 1), gidMappings: map(0, 1) },
      /config\.json: \/mounts\/7\/uidMappings: ID-mapped mounts are only supported on bind mounts/],
    ['uidMappings without gidMappings', { destination: '/x', type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: map(0, 1) },
      /config\.json: \/mounts\/7\/gidMappings: uidMappings and gidMappings must be given together/],
    ['idmap without mappings nor user namespace', { destination: '/x', type: 'bind', source: src, options: ['bind', 'idmap'] },
      /config\.json: \/mounts\/7\/options: idmap\/ridmap without uidMappings\/gidMappings .* no user namespace/],
    ['overlapping mappings', { destination: '/x', type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: [...map(0, 1000), ...map(0, 2000)], gidMappings: map(0, 1) },
      /mounts\[7\] \(\/x\): .*\/mounts\/7\/uidMappings: the kernel refused the mapping/],
    ['a filesystem without idmap support', { destination: '/x', type: 'bind', source: '/proc', options: ['bind', 'idmap'], uidMappings: map(0, 1), gidMappings: map(0, 1) },
      /mounts\[7\] \(\/x\): ID-mapped mount of \/proc: mount_setattr \/proc: invalid argument .*does not support ID-mapped mounts/],
    ['a missing source', { destination: '/x', type: 'bind', source: '/no/such/source', options: ['bind', 'idmap'], uidMappings: map(0, 1), gidMappings: map(0, 1) },
      /\/no\/such\/source: no such file or directory/],
  ];
  for (const [what, mount, re] of cases) {
    await t.test(what, async (t) => {
      const f = fixture(t, root, ['true'], (c) => { c.mounts.push(mount); });
      failsWith(t, f.run(), re);
      t.same(f.leftovers(), []);
      t.equal(f.state(), null);
    });
  }
});
