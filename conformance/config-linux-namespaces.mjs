// config-linux.md "Namespaces", "User namespace mappings" and "Sysctl".
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clause, fixture, isRoot, nsOf, refused } from './lib/harness.mjs';

t.ok(isRoot, 'conformance tests run as root');

// /proc/self/ns entry for each config namespace type.
const NS_FILE = { pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', cgroup: 'cgroup', user: 'user', time: 'time' };
const PRINT_NS = `for n in ${Object.values(NS_FILE).join(' ')}; do echo "$n $(readlink /proc/self/ns/$n)"; done`;

function nsTable(stdout) {
  return Object.fromEntries(stdout.split('\n').filter(Boolean).map((l) => l.split(' ')));
}
const host = (file) => nsOf(process.pid, file);


/** A fixture in a user namespace; its bundle directory must be searchable by the mapped root. */
function usernsFixture(t, args) {
  const c = fixture(t, args, withUserns);
  fs.chmodSync(c.b.dir, 0o755);
  return c;
}

/** Edits a config for a user namespace: mappings, and no cgroup v1 mount (not allowed from a user namespace). */
function withUserns(cfg) {
  cfg.linux.namespaces.push({ type: 'user' });
  cfg.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  cfg.linux.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
  cfg.mounts = cfg.mounts.filter((m) => m.type !== 'cgroup');
}

clause('config-linux.md Namespaces: if "path" is not specified, the runtime MUST create a new container namespace of type "type" (pid, network, ipc, uts, mount, cgroup, time)', async (t) => {
  const r = fixture(t, ['sh', '-c', PRINT_NS], (cfg) => { cfg.linux.namespaces.push({ type: 'time' }); }).run();
  t.equal(r.status, 0, r.stderr);
  const ns = nsTable(r.stdout);
  for (const type of ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'time']) {
    const f = NS_FILE[type];
    t.ok(ns[f] && ns[f] !== host(f), `${type}: ${ns[f]} is not the runtime's ${host(f)}`);
  }
});

clause('config-linux.md Namespaces: if "path" is not specified, the runtime MUST create a new container namespace of type "type" (user)', async (t) => {
  const r = usernsFixture(t, ['sh', '-c', PRINT_NS]).run();
  t.equal(r.status, 0, r.stderr);
  const ns = nsTable(r.stdout);
  t.ok(ns.user && ns.user !== host('user'), `user: ${ns.user}`);
});

clause('config-linux.md Namespaces: if a namespace type is not specified, the container MUST inherit the runtime namespace of that type', async (t) => {
  const r = fixture(t, ['sh', '-c', PRINT_NS], (cfg) => {
    cfg.linux.namespaces = cfg.linux.namespaces.filter((n) => !['network', 'ipc', 'cgroup'].includes(n.type));
  }).run();
  t.equal(r.status, 0, r.stderr);
  const ns = nsTable(r.stdout);
  for (const f of ['net', 'ipc', 'cgroup', 'user', 'time']) t.equal(ns[f], host(f), `${f} inherited`);
  for (const f of ['pid', 'mnt', 'uts']) t.not(ns[f], host(f), `${f} still new`);
});

clause('config-linux.md Namespaces: with "path", the runtime MUST place the container process in the namespace associated with that path', async (t) => {
  const a = fixture(t, ['sleep', '30']);
  t.equal(a.create().status, 0);
  const pid = a.state()?.pid;
  const r = fixture(t, ['sh', '-c', PRINT_NS], (cfg) => {
    cfg.linux.namespaces = cfg.linux.namespaces.map((n) => (['network', 'ipc', 'uts'].includes(n.type) ? { type: n.type, path: `/proc/${pid}/ns/${NS_FILE[n.type]}` } : n));
    delete cfg.hostname;
  }).run();
  t.equal(r.status, 0, r.stderr);
  const ns = nsTable(r.stdout);
  for (const type of ['network', 'ipc', 'uts']) t.equal(ns[NS_FILE[type]], nsOf(pid, NS_FILE[type]), `${type} joined`);
});

clause('config-linux.md Namespaces: the runtime MUST generate an error if "path" is not associated with a namespace of type "type"', async (t) => {
  const a = fixture(t, ['sleep', '30']);
  t.equal(a.create().status, 0);
  const pid = a.state()?.pid;
  const plain = path.join(a.b.dir, 'not-a-namespace');
  fs.writeFileSync(plain, '');
  for (const bad of [`/proc/${pid}/ns/uts`, plain]) {
    const c = fixture(t, ['true'], (cfg) => {
      cfg.linux.namespaces = cfg.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: bad } : n));
    });
    refused(t, c.create(), 'create', /network/, c);
    t.equal(c.state(), null, 'no container');
  }
});

clause('config-linux.md Namespaces: "path" MUST be an absolute path in the runtime mount namespace (a relative one is an error)', async (t) => {
  const c = fixture(t, ['true'], (cfg) => {
    cfg.linux.namespaces = cfg.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: 'proc/1/ns/net' } : n));
  });
  refused(t, c.create(), 'create', /proc\/1\/ns\/net/, c);
  t.equal(c.state(), null);
});

clause('config-linux.md Namespaces: if the namespaces field contains duplicated namespaces with the same type, the runtime MUST generate an error', async (t) => {
  const c = fixture(t, ['true'], (cfg) => { cfg.linux.namespaces.push({ type: 'uts' }); });
  refused(t, c.create(), 'create', /uts/, c);
  t.equal(c.state(), null);
});

clause('config-linux.md User namespace mappings: uidMappings and gidMappings map container IDs to host IDs', async (t) => {
  const r = usernsFixture(t, ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g']).run();
  t.equal(r.status, 0, r.stderr);
  const [uid, gid, u, g] = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  t.equal(uid, '0 200000 65536', 'uid_map');
  t.equal(gid, '0 300000 65536', 'gid_map');
  t.equal(`${u} ${g}`, '0 0', 'the process is root in the container');
});

clause('config-linux.md User namespace mappings: the runtime SHOULD NOT modify the ownership of referenced filesystems to realize the mapping', async (t) => {
  const c = usernsFixture(t, ['true']);
  const before = [c.b.rootfs, path.join(c.b.rootfs, 'bin/busybox'), path.join(c.b.rootfs, 'etc/passwd')].map((p) => [p, fs.lstatSync(p).uid, fs.lstatSync(p).gid]);
  const r = c.run();
  t.equal(r.status, 0, r.stderr);
  for (const [p, uid, gid] of before) t.same([fs.lstatSync(p).uid, fs.lstatSync(p).gid], [uid, gid], `${path.relative(c.b.dir, p)} unchanged`);
});

clause('config-linux.md Sysctl: "sysctl" kernel parameters are modified for the container', async (t) => {
  const r = fixture(t, ['cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/msgmax'], (cfg) => {
    cfg.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '12345' };
  }).run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '1\n12345\n');
  t.not(fs.readFileSync('/proc/sys/kernel/msgmax', 'utf8'), '12345\n', 'the host value is untouched');
});
