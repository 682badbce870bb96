// ocits as a real unprivileged user (made by the test, with /etc/subuid and
// /etc/subgid ranges), on bundles from `runc spec --rootless`, side by side with
// runc run as the same user: the default state root, the container's view
// (ids, maps, caps, devices, read-only /sys and /sys/fs/cgroup), the lifecycle,
// several ranges through newuidmap, bad mappings, cgroups with and without a
// delegated cgroup2 subtree, rlimits and oom_score_adj.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRoot } from '../lib/bundle.mjs';
import { ensureUser, userOcits, asUser, userBundle, userRoot } from '../lib/rootless.mjs';

t.ok(isRoot, 'the test runs as root (it makes the user, then runs as it)');
const user = ensureUser();
const OCITS = userOcits(user);
const stateRoot = userRoot(user);
t.teardown(() => fs.rmSync(stateRoot, { recursive: true, force: true }));
let n = 0;
const newId = () => `rl-${process.pid}-${++n}`;

// runc's spec asks for ambient caps it does not make inheritable: ocits warns that it cannot raise them
// (runc 1.1 says nothing); that warning is not what these tests look at.
const AMBIENT_WARNING = /^ocits: warning: \/process\/capabilities\/ambient: .* not raised: .*\n/gm;
const ocits = (args, opts) => {
  const r = asUser(user, OCITS, args, opts);
  return { ...r, stderr: r.stderr.replace(AMBIENT_WARNING, '') };
};
const runc = (args, opts) => asUser(user, 'runc', ['--root', path.join(stateRoot, 'runc'), ...args], opts);

function bundle(t, args, edit) {
  const b = userBundle(user, args, edit);
  t.teardown(b.cleanup);
  return b;
}

/** The same bundle through ocits and runc (as the user, state in stateRoot). */
function both(b, extra = []) {
  const o = ocits(['--root', stateRoot, 'run', '--bundle', b.dir, ...extra, newId()]);
  const r = runc(['run', '--bundle', b.dir, ...extra, newId()]);
  return { o, r };
}

const VIEW = [
  'id', 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups',
  'grep -E "^Cap(Eff|Prm|Bnd|Amb)" /proc/self/status', 'hostname',
  'stat -c "%n %F %t:%T" /dev/null /dev/zero', 'ulimit -n',
  'grep -E " /sys(/fs/cgroup)? " /proc/self/mounts | cut -d" " -f2-4 | cut -d, -f1',
  'touch /sys/x 2>&1 | tail -1', 'touch /sys/fs/cgroup/memory/x 2>&1 | tail -1',
  'echo "cgroup submounts: $(grep " /sys/fs/cgroup/" /proc/self/mounts | cut -d" " -f4 | cut -d, -f1 | sort -u)"', 'echo done',
].join('; ');

t.test('the default rootless bundle runs as the user, as with runc', async (t) => {
  const b = bundle(t, ['sh', '-c', VIEW]);
  const { o, r } = both(b);
  t.equal(r.status, 0, `runc: ${r.stderr}`);
  t.equal(o.status, 0, `ocits: ${o.stderr}`);
  t.match(o.stdout, /^uid=0\(root\) gid=0\(root\)/m);
  t.match(o.stdout, new RegExp(`^\\s+0\\s+${user.uid}\\s+1$`, 'm'), 'uid 0 is the user');
  t.match(o.stdout, /^deny$/m, 'setgroups denied (single mapping written by the runtime)');
  t.match(o.stdout, /^CapEff:\s+0000000020000420$/m, 'no more caps than the config gives');
  t.match(o.stdout, /^\/dev\/null character special file 1:3$/m, '/dev/null is the host node (bind-mounted: no mknod in a user namespace)');
  t.match(o.stdout, /^touch: \/sys\/x: Read-only file system$/m, '/sys read-only (a bind of the host\'s: no network namespace of its own)');
  t.match(o.stdout, /^touch: \/sys\/fs\/cgroup\/memory\/x: Read-only file system$/m, 'the cgroup hierarchies read-only');
  t.match(o.stdout, /^cgroup submounts: ro$/m, 'every cgroup submount read-only (CVE-2023-25809: no cgroup namespace, rootless)');
  t.equal(o.stdout, r.stdout, 'the same view as under runc');
  t.equal(o.stderr, '');
});

t.test('a bundle from `ocits spec --rootless` runs as the user', async (t) => {
  const b = bundle(t, ['true']);
  fs.rmSync(path.join(b.dir, 'config.json'));
  const spec = ocits(['spec', '--rootless'], { cwd: b.dir });
  t.equal(spec.status, 0, spec.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8'));
  t.same(config.linux.uidMappings, [{ containerID: 0, hostID: user.uid, size: 1 }], 'the user mapped to 0');
  t.same(config.linux.gidMappings, [{ containerID: 0, hostID: user.gid, size: 1 }]);
  config.process.terminal = false;
  config.process.args = ['sh', '-c', 'id -u; cat /proc/self/uid_map; hostname'];
  b.write(config);
  const { o, r } = both(b);
  t.equal(o.status, 0, o.stderr);
  t.equal(r.status, 0, r.stderr);
  t.match(o.stdout, new RegExp(`^0\\n\\s+0\\s+${user.uid}\\s+1\\n`));
  t.equal(o.stdout, r.stdout, 'as under runc');
});

t.test('sysfs: mounted with a network namespace of its own, else the host\'s bound read-only', async (t) => {
  const script = 'grep " /sys " /proc/self/mounts | cut -d" " -f3,4 | cut -d, -f1; ls /sys/class/net | sort | tr "\\n" " "; touch /sys/x 2>&1 | tail -1';
  const sysfs = (c) => { c.mounts = c.mounts.map((m) => (m.destination === '/sys' ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] } : m)); };
  const hostNet = bundle(t, ['sh', '-c', script], sysfs);
  const ownNet = bundle(t, ['sh', '-c', script], (c) => { sysfs(c); c.linux.namespaces.push({ type: 'network' }); });
  const host = both(hostNet), own = both(ownNet);
  t.equal(own.o.status, 0, own.o.stderr);
  t.equal(own.o.stdout, own.r.stdout, 'own netns: as under runc');
  t.equal(own.o.stdout, 'sysfs ro\nlo touch: /sys/x: Read-only file system\n', 'its own sysfs, read-only, shows only its own lo');
  t.equal(host.o.status, 0, host.o.stderr);
  const hostIfs = fs.readdirSync('/sys/class/net').sort().join(' ');
  t.equal(host.o.stdout, `sysfs ro\n${hostIfs} touch: /sys/x: Read-only file system\n`, 'no netns: the host\'s sysfs bound read-only');
  // runc 1.1 gives up there (the kernel refuses sysfs without a network namespace of the user namespace's own).
  t.not(host.r.status, 0, 'runc 1.1 fails this one');
});

t.test('state root: $XDG_RUNTIME_DIR/ocits, else /tmp/ocits-UID, made 0700 and owned by the user', async (t) => {
  const b = bundle(t, ['sleep', '60']);
  const xdg = fs.mkdtempSync('/tmp/ocits-rl-xdg-');
  fs.chownSync(xdg, user.uid, user.gid);
  t.teardown(() => fs.rmSync(xdg, { recursive: true, force: true }));
  for (const [env, where] of [[{ XDG_RUNTIME_DIR: xdg }, path.join(xdg, 'ocits')], [{}, `/tmp/ocits-${user.uid}`]]) {
    const id = newId();
    const c = ocits(['create', '--bundle', b.dir, id], { env });
    t.equal(c.status, 0, `create: ${c.stderr}`);
    const st = fs.statSync(where);
    t.equal(st.uid, user.uid, `${where} owned by the user`);
    t.equal(st.mode & 0o777, 0o700, `${where} is 0700`);
    t.ok(fs.existsSync(path.join(where, id, 'state.json')), 'the state is there');
    t.equal(ocits(['delete', '--force', id], { env }).status, 0);
    t.notOk(fs.existsSync(path.join(where, id)), 'delete removes it');
  }
  // A default root someone else made is refused, not used.
  const other = fs.mkdtempSync('/tmp/ocits-rl-other-');
  t.teardown(() => fs.rmSync(other, { recursive: true, force: true }));
  fs.chmodSync(other, 0o777);
  fs.mkdirSync(path.join(other, 'ocits'), { mode: 0o777 });
  fs.chmodSync(path.join(other, 'ocits'), 0o777);
  const r = ocits(['list'], { env: { XDG_RUNTIME_DIR: other } });
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`^ocits: list: state root ${other}/ocits is owned by uid 0, not by you \\(uid ${user.uid}\\)`));
});

t.test('create, state, list, start, kill, delete as the user', async (t) => {
  const b = bundle(t, ['sleep', '60']);
  const id = newId();
  const cli = (...a) => ocits(['--root', stateRoot, ...a]);
  t.equal(cli('create', '--bundle', b.dir, id).status, 0);
  const created = JSON.parse(cli('state', id).stdout);
  t.equal(created.status, 'created');
  t.equal(created.rootless, true, 'state says the container is rootless');
  t.equal(fs.statSync(`/proc/${created.pid}`).uid, user.uid, 'the init runs as the user on the host');
  t.match(cli('list').stdout, new RegExp(`^${id}\\s+${created.pid}\\s+created\\s+${b.dir.replace(/[/.]/g, '\\$&')}\\s+\\S+\\s+${user.name}$`, 'm'), 'list shows the user as owner');
  t.equal(cli('start', id).status, 0);
  t.equal(JSON.parse(cli('state', id).stdout).status, 'running');
  const ex = cli('exec', id, 'sh', '-c', 'id -u; cat /proc/self/setgroups; cat /proc/1/cmdline');
  t.equal(ex.status, 0, `exec: ${ex.stderr}`);
  t.equal(ex.stdout, '0\ndeny\nsleep\x0060\x00', 'exec joins the user namespace (setgroups denied there)');
  t.match(cli('ps', id).stdout, new RegExp(`^${user.name}\\s+${created.pid}\\s.*sleep 60$`, 'm'), 'ps lists the init');
  t.equal(cli('kill', id, 'KILL').status, 0);
  for (let i = 0; i < 500 && JSON.parse(cli('state', id).stdout).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(JSON.parse(cli('state', id).stdout).status, 'stopped');
  t.equal(cli('delete', id).status, 0);
  t.equal(cli('state', id).status, 1);
  t.same(fs.readdirSync(stateRoot).filter((e) => e !== 'runc'), [], 'nothing left in the state root');
});

t.test('several ranges: maps written by newuidmap/newgidmap from /etc/subuid and /etc/subgid', async (t) => {
  const out = fs.mkdtempSync('/tmp/ocits-rl-out-');
  fs.chmodSync(out, 0o777);
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const edit = (c) => {
    c.linux.uidMappings = [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: user.subuid.start, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: user.gid, size: 1 }, { containerID: 1, hostID: user.subgid.start, size: 65536 }];
    c.process.user = { uid: 1000, gid: 1000 };
    c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  };
  const b = bundle(t, ['sh', '-c', 'id; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; mktemp /out/f.XXXXXX >/dev/null'], edit);
  const { o, r } = both(b);
  t.equal(r.status, 0, `runc: ${r.stderr}`);
  t.equal(o.status, 0, `ocits: ${o.stderr}`);
  t.match(o.stdout, /^uid=1000 gid=1000/m);
  t.match(o.stdout, new RegExp(`^\\s+1\\s+${user.subuid.start}\\s+65536$`, 'm'), 'the subordinate range is mapped');
  t.match(o.stdout, /^allow$/m, 'setgroups left allowed (newgidmap wrote the map)');
  // runc leaves a rootless process the supplementary group 0 it had; ocits sets the config's (none).
  t.match(r.stdout, /^uid=1000 gid=1000 groups=0\(root\)$/m);
  t.match(o.stdout, /^uid=1000 gid=1000$/m, 'no supplementary groups, as the config says');
  const rest = (s) => s.split('\n').slice(1).join('\n');
  t.equal(rest(o.stdout), rest(r.stdout), 'the same maps as under runc');
  const files = fs.readdirSync(out);
  t.equal(files.length, 2, 'each wrote a file');
  for (const f of files) {
    const st = fs.statSync(path.join(out, f));
    t.same([st.uid, st.gid], [user.subuid.start + 999, user.subgid.start + 999], `${f}: container uid 1000 is host uid start+999`);
  }
});

t.test('mappings the user may not have fail before anything exists, naming the file and range', async (t) => {
  const cases = [
    ['uid', (c) => { c.linux.uidMappings.push({ containerID: 1, hostID: 900000, size: 10 }); }, /linux\.uidMappings: containerID 1 hostID 900000 size 10: host uids 900000-900009 are neither your own uid \(\d+\) nor in your ranges in \/etc\/subuid \(\d+-\d+/],
    ['gid', (c) => { c.linux.gidMappings = [{ containerID: 0, hostID: 0, size: 1 }]; }, /linux\.gidMappings: containerID 0 hostID 0 size 1: host gids 0-0 .* in \/etc\/subgid/],
  ];
  for (const [what, edit, re] of cases) {
    const b = bundle(t, ['true'], edit);
    const id = newId();
    const o = ocits(['--root', stateRoot, 'run', '--bundle', b.dir, id]);
    t.equal(o.status, 1, `${what}: exit status 1`);
    t.match(o.stderr, new RegExp(`^ocits: run: ${re.source}`), `${what}: one line naming the file and range`);
    t.equal(o.stderr.trim().split('\n').length, 1);
    t.notOk(fs.existsSync(path.join(stateRoot, id)), 'no state left');
    t.not(runc(['run', '--bundle', b.dir, newId()]).status, 0, `${what}: runc refuses it too`);
  }
});

t.test('a rootless container cannot read what the user cannot', async (t) => {
  const secret = fs.mkdtempSync('/tmp/ocits-rl-secret-');
  fs.chmodSync(secret, 0o755);
  fs.writeFileSync(path.join(secret, 'file'), 'secret\n', { mode: 0o600 });
  t.teardown(() => fs.rmSync(secret, { recursive: true, force: true }));
  const b = bundle(t, ['sh', '-c', 'cat /secret/file 2>&1; echo "status $?"; (echo x > /secret/new) 2>&1; echo "status $?"'], (c) => {
    c.mounts.push({ destination: '/secret', type: 'bind', source: secret, options: ['rbind', 'rw'] });
  });
  const { o, r } = both(b);
  t.equal(o.status, 0, o.stderr);
  t.match(o.stdout, /Permission denied[\s\S]*status 1[\s\S]*Permission denied[\s\S]*status 1/, 'container root can neither read nor write there');
  t.notOk(fs.existsSync(path.join(secret, 'new')));
  t.equal(o.stdout, r.stdout, 'as under runc');
});

t.test('rlimits only lowered, oom_score_adj only raised', async (t) => {
  const hard = Number(asUser(user, 'sh', ['-c', 'ulimit -Hn']).stdout.trim());
  const lower = bundle(t, ['sh', '-c', 'ulimit -n; cat /proc/self/oom_score_adj'], (c) => {
    c.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 512, soft: 256 }];
    c.process.oomScoreAdj = 100;
  });
  const { o, r } = both(lower);
  t.equal(o.status, 0, o.stderr);
  t.equal(o.stdout, '256\n100\n');
  t.equal(o.stdout, r.stdout, 'as under runc');
  const raise = bundle(t, ['true'], (c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: hard * 2, soft: 1024 }]; });
  let x = ocits(['--root', stateRoot, 'run', '--bundle', raise.dir, newId()]);
  t.equal(x.status, 1);
  t.equal(x.stderr, `ocits: run: process.rlimits RLIMIT_NOFILE: hard limit ${hard * 2} is above the runtime's own (${hard}); without privileges a limit can only be lowered\n`);
  t.not(runc(['run', '--bundle', raise.dir, newId()]).status, 0, 'runc fails too');
  const oom = bundle(t, ['true'], (c) => { c.process.oomScoreAdj = -10; });
  x = ocits(['--root', stateRoot, 'run', '--bundle', oom.dir, newId()]);
  t.equal(x.status, 1);
  t.equal(x.stderr, "ocits: run: process.oomScoreAdj: -10 is below the runtime's own (0); without privileges it can only be raised\n");
  t.not(runc(['run', '--bundle', oom.dir, newId()]).status, 0, 'runc fails too');
  t.same(fs.readdirSync(stateRoot).filter((e) => e !== 'runc'), [], 'nothing left in the state root');
});

t.test('cgroups: none needed, none made; limits without a delegated cgroup fail with runc\'s message', async (t) => {
  const plain = bundle(t, ['sh', '-c', 'cat /proc/self/cgroup | grep memory']);
  const own = fs.readFileSync('/proc/self/cgroup', 'utf8').match(/^\d+:memory:(.*)$/m)[1];
  const id = newId();
  const o = ocits(['--root', stateRoot, 'run', '--bundle', plain.dir, id]);
  t.equal(o.status, 0, o.stderr);
  t.match(o.stdout, new RegExp(`memory:${own.replace(/[/.]/g, '\\$&')}$`, 'm'), 'left in the caller\'s own cgroup');
  const limited = bundle(t, ['true'], (c) => { c.linux.resources = { memory: { limit: 64 << 20 }, devices: [{ allow: false, access: 'rwm' }] }; });
  const x = ocits(['--root', stateRoot, 'run', '--bundle', limited.dir, id]);
  const y = runc(['run', '--bundle', limited.dir, newId()]);
  t.equal(x.status, 1);
  t.match(x.stderr, /^ocits: run: cannot set memory limit: container could not join or create cgroup \(rootless: /);
  t.match(y.stderr, /cannot set memory limit: container could not join or create cgroup/, 'runc says the same');
  t.notOk(fs.existsSync(path.join(stateRoot, id)), 'no state left');
});

t.test('cgroups: a cgroup2 subtree delegated to the user (chowned) holds the container', async (t) => {
  const top = '/sys/fs/cgroup/unified';
  t.ok(fs.existsSync(path.join(top, 'cgroup.procs')), 'a cgroup2 tree at /sys/fs/cgroup/unified (this machine is hybrid)');
  // As systemd's Delegate=yes does: the directory and its control files belong to the user,
  // and the user's session is inside it (moving a process needs the common ancestor's cgroup.procs).
  const deleg = path.join(top, `ocits-rl-${process.pid}`);
  fs.mkdirSync(deleg);
  for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']) fs.chownSync(path.join(deleg, f), user.uid, user.gid);
  fs.mkdirSync(path.join(deleg, 'session'));
  t.teardown(() => { for (const d of [path.join(deleg, 'session'), deleg]) { try { fs.rmdirSync(d); } catch { /* busy or gone */ } } });
  const b = bundle(t, ['sh', '-c', 'grep "^0::" /proc/self/cgroup'], (c) => { c.linux.cgroupsPath = `/ocits-rl-${process.pid}/ctr`; });
  const env = Object.entries({ PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: user.home, USER: user.name }).map(([k, v]) => `${k}=${v}`);
  // Root puts the shell into the delegated subtree, then becomes the user.
  const script = `echo $$ > ${deleg}/session/cgroup.procs && exec runuser -u ${user.name} -- env -i ${env.join(' ')} ${OCITS} --root ${stateRoot} run --bundle ${b.dir} ${newId()}`;
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', cwd: '/' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, `0::/ocits-rl-${process.pid}/ctr\n`, 'the container ran in the delegated subtree');
  t.notOk(fs.existsSync(path.join(deleg, 'ctr')), 'and its cgroup is gone after run');
  const st = fs.statSync(deleg);
  t.equal(st.uid, user.uid);
});

t.test('features: what a rootless caller gets', async (t) => {
  const mine = JSON.parse(ocits(['features']).stdout);
  t.equal(mine.linux.mountExtensions.idmap.enabled, false, 'ID-mapped mounts need privileges the user lacks');
  t.equal(mine.annotations['org.opencontainers.ocits.rootless'], 'true');
  const { spawnSync } = await import('node:child_process');
  const asRoot = JSON.parse(spawnSync(OCITS, ['features'], { encoding: 'utf8' }).stdout);
  t.equal(asRoot.linux.mountExtensions.idmap.enabled, true);
  t.equal(asRoot.annotations['org.opencontainers.ocits.rootless'], 'false');
});
