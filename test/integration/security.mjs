// Security properties: the container's init is not dumpable until it execs
// the user's process (no /proc/PID/exe or mem access to the runtime binary),
// no runtime fd reaches the container, symlinks cannot move mounts outside
// the rootfs.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, ocitsEnv, ocitsSpawn, until, isRoot, OCITS } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

// Without CAP_SYS_PTRACE, but otherwise with the same capabilities as the runtime it checks.
const NO_PTRACE = ['setpriv', '--bounding-set=-sys_ptrace'];
const asChecker = (script) => spawnSync(NO_PTRACE[0], [...NO_PTRACE.slice(1), 'sh', '-c', script], { encoding: 'utf8' });
const capPrm = (status) => status.match(/^CapPrm:\s+(\S+)$/m)[1];

t.test('the init of a created container is not dumpable: its exe and memory are off limits', async (t) => {
  const f = fixture(t, root, ['sleep', '30']);
  const out = fs.openSync(path.join(f.b.dir, 'create.err'), 'w');
  const c = spawnSync(NO_PTRACE[0], [...NO_PTRACE.slice(1), OCITS, '--root', root, 'create', '--bundle', f.b.dir, f.id], { env: ocitsEnv(), stdio: ['ignore', out, out] });
  fs.closeSync(out);
  t.equal(c.status, 0, `create: ${fs.readFileSync(path.join(f.b.dir, 'create.err'), 'utf8')}`);
  const pid = f.state().pid;
  // Same uid and the same capabilities: only dumpability can stand in the way.
  const checker = asChecker('cat /proc/self/status').stdout;
  t.equal(capPrm(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), capPrm(checker), 'the checker has the init\'s capabilities');
  const exe = asChecker(`readlink /proc/${pid}/exe; echo "rc=$?"`);
  t.equal(exe.stdout, 'rc=1\n', 'readlink /proc/PID/exe fails');
  const mem = asChecker(`cat /proc/${pid}/exe > /dev/null; echo "exe=$?"; head -c 1 /proc/${pid}/mem > /dev/null; echo "mem=$?"`);
  t.equal(mem.stdout, 'exe=1\nmem=1\n', 'neither /proc/PID/exe nor /proc/PID/mem can be opened');
  t.match(mem.stderr, /exe: Permission denied[^]*mem.*Permission denied/);

  // Once the user's process runs, it is an ordinary (dumpable) process.
  t.equal(f.cli('start', f.id).status, 0);
  await until(() => { try { return fs.readlinkSync(`/proc/${pid}/exe`) !== process.execPath; } catch { return false; } }, 5000, 'the exec');
  const after = asChecker(`readlink /proc/${pid}/exe`);
  t.equal(after.stdout, '/bin/busybox\n', 'the started process can be inspected (the check above can pass)');
});

t.test('user namespace: a process in the same namespaces cannot open the created init\'s exe', async (t) => {
  const HOST = 100000;
  const userns = (c) => {
    c.linux.uidMappings = [{ containerID: 0, hostID: HOST, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: HOST, size: 65536 }];
  };
  const a = fixture(t, root, ['sleep', '30'], (c) => { c.linux.namespaces.push({ type: 'user' }); userns(c); });
  fs.chmodSync(a.b.dir, 0o755);
  spawnSync('chown', ['-R', '-h', `${HOST}:${HOST}`, a.b.rootfs]);
  const cr = a.create();
  t.equal(cr.status, 0, cr.stderr);
  const pid = a.state()?.pid;
  t.ok(pid, 'created');
  if (!pid) return;
  t.equal(fs.statSync(`/proc/${pid}/status`).uid, 0, '/proc/PID/* of a non-dumpable process belong to root, not to uid 100000');
  // B joins A's user and pid namespaces with every capability there.
  const b = fixture(t, root, ['sh', '-c', 'readlink /proc/1/exe; echo "rc=$?"; grep CapEff /proc/self/status'], (c) => {
    delete c.hostname;
    c.linux.namespaces = [{ type: 'user', path: `/proc/${pid}/ns/user` }, { type: 'pid', path: `/proc/${pid}/ns/pid` }, { type: 'mount' }];
    const names = ['CAP_SYS_PTRACE', 'CAP_SYS_ADMIN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_CHOWN', 'CAP_FOWNER'];
    c.process.capabilities = { bounding: names, effective: names, permitted: names };
    c.mounts = c.mounts.filter((m) => m.destination === '/proc');
    c.linux.maskedPaths = []; c.linux.readonlyPaths = [];
    delete c.linux.resources;
  });
  fs.chmodSync(b.b.dir, 0o755);
  spawnSync('chown', ['-R', '-h', `${HOST}:${HOST}`, b.b.rootfs]);
  const r = b.run();
  t.match(r.stdout, /^rc=1\n/, 'readlink /proc/1/exe fails inside the namespaces');
  t.equal(a.cli('start', a.id).status, 0);
  await until(() => fs.statSync(`/proc/${pid}/status`).uid === HOST, 5000, 'the exec');
  const r2 = b.run();
  t.match(r2.stdout, /^\/bin\/busybox\nrc=0\n/, 'and works once the init has exec\'d');
});

t.test('no runtime fd reaches the container process', async (t) => {
  const f = fixture(t, root, ['sleep', '30']);
  const child = ocitsSpawn(['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  const code = await new Promise((resolve) => child.on('close', resolve));
  t.equal(code, 0);
  const pid = f.state().pid;
  const fds = fs.readdirSync(`/proc/${pid}/fd`).sort();
  t.same(fds, ['0', '1', '2'], `the running process holds fds ${fds.join(' ')}`);
  const targets = fds.map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
  t.notOk(targets.some((p) => p.includes(root) || p.includes('exec.fifo') || p.startsWith('socket:') || p.startsWith('anon_inode:')), `no state file, socket, epoll or eventfd (${targets.join(', ')})`);
});

t.test('symlinks in the rootfs cannot move a mount outside it', async (t) => {
  const esc = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-escape-'));
  t.teardown(() => fs.rmSync(esc, { recursive: true, force: true }));
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-src-'));
  t.teardown(() => fs.rmSync(host, { recursive: true, force: true }));
  fs.writeFileSync(path.join(host, 'payload'), 'x');
  const f = fixture(t, root, ['sh', '-c', 'ls /'], (c) => {
    // /proc is mounted first; a link through /proc/self/root would reach the host's / if followed on the host.
    c.mounts.push({ destination: `/viaproc${esc}/a`, type: 'bind', source: host, options: ['bind'] });
    c.mounts.push({ destination: `/abs/b`, type: 'bind', source: host, options: ['bind'] });
    c.mounts.push({ destination: `/dots/c`, type: 'tmpfs', source: 'tmpfs' });
  });
  fs.symlinkSync('/proc/self/root', path.join(f.b.rootfs, 'viaproc'));
  fs.symlinkSync(esc, path.join(f.b.rootfs, 'abs'));
  fs.symlinkSync(`../../../../../../..${esc}`, path.join(f.b.rootfs, 'dots'));
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  for (const d of ['a', 'b', 'c']) t.ok(fs.statSync(path.join(f.b.rootfs, esc, d)).isDirectory(), `${d} landed under the rootfs's ${esc}`);
  t.same(fs.readdirSync(esc), [], `${esc} on the host is untouched`);
  const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(esc));
  t.same(mounted, [], 'nothing is mounted under it on the host');
  t.same(f.leftovers(), []);
});

t.test('the container cannot reach the host filesystem through /proc', async (t) => {
  const marker = `ocits-host-marker-${process.pid}`;
  fs.writeFileSync(path.join(os.tmpdir(), marker), 'host');
  t.teardown(() => fs.rmSync(path.join(os.tmpdir(), marker), { force: true }));
  const f = fixture(t, root, ['sh', '-c', `ls /proc/1/root/tmp /proc/self/root/tmp; cat /proc/1/cwd/tmp/${marker} 2>&1; echo done`]);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, new RegExp(marker.replace(/-/g, '\\-') + '.*\\n.*host'), 'no host file');
  t.notMatch(r.stdout, /^host$/m);
  t.match(r.stdout, /done\n$/);
});
