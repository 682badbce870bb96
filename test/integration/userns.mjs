// User namespaces with a non-identity mapping (container 0 → host 100000):
// ids inside, the mapping files, the host's view of the processes and files.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, until, isRoot } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);
const HOST = 100000;
const SIZE = 65536;

/** A container in a new user namespace mapping 0..65535 to 100000..165535, its rootfs owned by 100000. */
function usernsFixture(t, args, edit = () => {}) {
  const f = fixture(t, root, args, (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: HOST, size: SIZE }];
    c.linux.gidMappings = [{ containerID: 0, hostID: HOST, size: SIZE }];
    edit(c);
  });
  fs.chmodSync(f.b.dir, 0o755);
  const r = spawnSync('chown', ['-R', '-h', `${HOST}:${HOST}`, f.b.rootfs]);
  if (r.status !== 0) throw new Error('chown of the rootfs failed');
  return f;
}

/** A host dir owned by the container's root, bind-mounted rw at /out. */
function outDir(t) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-out-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  fs.chownSync(out, HOST, HOST);
  fs.chmodSync(out, 0o755);
  return { out, mount: { destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] } };
}

const statusField = (pid, name) => fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${name}:\\s+(.*)$`, 'm'))[1].split(/\s+/);

t.test('inside: uid 0 and the mapping; outside: uid 100000', async (t) => {
  const { out, mount } = outDir(t);
  const f = usernsFixture(t, ['sh', '-c', 'id -u > /out/id; id -g >> /out/id; cat /proc/self/uid_map /proc/self/gid_map > /out/maps; readlink /proc/self/ns/user > /out/ns; touch /out/made; mkdir /out/dir; sleep 30'],
    (c) => c.mounts.push(mount));
  const c = f.create();
  t.equal(c.status, 0, `create: ${c.stderr}`);
  const pid = f.state()?.pid;
  t.ok(pid > 0, 'created');
  if (!pid) return;
  t.same(statusField(pid, 'Uid'), [String(HOST), String(HOST), String(HOST), String(HOST)], 'the created init runs as host uid 100000');
  t.same(statusField(pid, 'Gid'), [String(HOST), String(HOST), String(HOST), String(HOST)]);
  t.equal(f.cli('start', f.id).status, 0);
  await until(() => fs.existsSync(path.join(out, 'dir')), 10000, 'the container');
  t.same(fs.readFileSync(path.join(out, 'id'), 'utf8').split('\n'), ['0', '0', ''], 'id -u and id -g are 0 inside');
  const maps = fs.readFileSync(path.join(out, 'maps'), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/));
  t.same(maps, [['0', String(HOST), String(SIZE)], ['0', String(HOST), String(SIZE)]], 'uid_map and gid_map');
  t.not(fs.readFileSync(path.join(out, 'ns'), 'utf8').trim(), fs.readlinkSync('/proc/self/ns/user'), 'own user namespace');
  t.same(statusField(pid, 'Uid'), [String(HOST), String(HOST), String(HOST), String(HOST)], 'the running process is uid 100000 on the host');
  const ps = spawnSync('ps', ['-o', 'uid=', '-p', String(pid)], { encoding: 'utf8' });
  t.equal(ps.stdout.trim(), String(HOST), 'ps agrees');
  for (const name of ['made', 'dir', 'id']) {
    const st = fs.statSync(path.join(out, name));
    t.equal(st.uid, HOST, `${name} is owned by uid ${HOST} on the host`);
    t.equal(st.gid, HOST, `${name} is owned by gid ${HOST} on the host`);
  }
});

t.test('a non-root user inside maps to 100000 + uid outside', async (t) => {
  const { out, mount } = outDir(t);
  fs.chmodSync(out, 0o777);
  const f = usernsFixture(t, ['sh', '-c', 'id -u; id -g; touch /out/u1000'], (c) => {
    c.mounts.push(mount);
    c.process.user = { uid: 1000, gid: 1001 };
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '1000\n1001\n');
  const st = fs.statSync(path.join(out, 'u1000'));
  t.equal(st.uid, HOST + 1000);
  t.equal(st.gid, HOST + 1001);
});

t.test('host files owned by unmapped ids show as nobody', async (t) => {
  const { out, mount } = outDir(t);
  fs.writeFileSync(path.join(out, 'hostfile'), 'x');
  fs.chownSync(path.join(out, 'hostfile'), 0, 0);
  fs.chmodSync(path.join(out, 'hostfile'), 0o644);
  const f = usernsFixture(t, ['sh', '-c', 'stat -c "%u %g" /out/hostfile; echo y >> /out/hostfile && echo wrote || echo denied'], (c) => c.mounts.push(mount));
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '65534 65534\ndenied\n', 'host root is nobody inside, and root inside may not write its files');
  t.equal(fs.readFileSync(path.join(out, 'hostfile'), 'utf8'), 'x');
});

t.test('capabilities are those of the user namespace: no host privilege', async (t) => {
  const f = usernsFixture(t, ['sh', '-c', 'grep CapEff /proc/self/status; hostname inner && echo sethostname-ok; echo 7 > /proc/sys/kernel/panic 2>/dev/null && echo host-sysctl-written || echo host-sysctl-denied'], (c) => {
    const all = ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_DAC_OVERRIDE', 'CAP_SETUID', 'CAP_SETGID', 'CAP_CHOWN'];
    c.process.capabilities = { bounding: all, effective: all, permitted: all };
    c.linux.readonlyPaths = [];
  });
  const before = fs.readFileSync('/proc/sys/kernel/panic', 'utf8');
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /CapEff:\s+00000000002010c3\n/);
  t.match(r.stdout, /sethostname-ok/, 'CAP_SYS_ADMIN over its own uts namespace');
  t.match(r.stdout, /host-sysctl-denied/, 'but not over a host sysctl');
  t.equal(fs.readFileSync('/proc/sys/kernel/panic', 'utf8'), before);
});

t.test('a mapping the host cannot grant fails create cleanly', async (t) => {
  const f = usernsFixture(t, ['true'], (c) => {
    c.linux.uidMappings = [{ containerID: 0, hostID: HOST, size: SIZE }, { containerID: 10, hostID: 200000, size: 1 }];
  });
  const r = f.run();
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: .*uid_map.*\n$/);
  t.same(f.leftovers(), []);
});
