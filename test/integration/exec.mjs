// `ocits exec`, flag by flag, seen from inside the exec'd process and compared
// with what the container's init sees of itself: namespaces, capabilities,
// seccomp, no_new_privs, cgroups and the LSM attribute, ids, cwd, environment,
// fds; paused containers; a user-namespace container.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fixture, fileRoot, until, isRoot, ocitsEnv, ocitsToFiles, OCITS, REPO } from '../lib/bundle.mjs';
import { PYTHON3 } from '../lib/skip.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

// What a process reports of itself, as "key: value" lines. The init writes it to
// /out/init.view before it sleeps; an exec'd `sh -c VIEW` prints the same lines.
const NS = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'time_for_children', 'user', 'uts'];
const VIEW = [
  ...NS.map((n) => `echo "ns.${n}: $(readlink /proc/self/ns/${n})"`),
  'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):" /proc/self/status | sed "s/:[[:space:]]*/: /; s/[[:space:]]*$//"',
  'echo "cgroup: $(cat /proc/self/cgroup | tr "\\n" " ")"',
  'echo "attr: $(cat /proc/self/attr/current 2>&1 | sed "s/^cat: //")"',
  'echo "uid_map: $(sed "s/^ *//; s/  */ /g" /proc/self/uid_map | tr "\\n" ";")"',
  'echo "cwd: $(pwd)"',
].join('; ');
const parseView = (text) => Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
const bit = (cap) => 1n << BigInt({ CAP_SYS_ADMIN: 21, CAP_NET_RAW: 13, CAP_KILL: 5 }[cap]);
const hex = (n) => n.toString(16).padStart(16, '0');

/** mkdir fails with EPERM under the container's filter: seccomp reaches the exec'd process. */
const SECCOMP = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };

function outDir(t) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-exec-'));
  fs.chmodSync(out, 0o777);
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  return out;
}

/** A started container whose init wrote its own view; exec(...) runs `ocits exec`. */
async function started(t, edit = () => {}, prepare = () => {}) {
  const out = outDir(t);
  const f = fixture(t, root, ['sh', '-c', `(${VIEW}) > /out/init.view; exec sleep 100000`], (c) => {
    c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
    c.linux.seccomp = SECCOMP;
    edit(c);
  });
  prepare(f, out);
  const cr = f.create();
  t.equal(cr.status, 0, `create: ${cr.stderr}`);
  t.equal(f.cli('start', f.id).status, 0, 'start');
  await until(() => fs.existsSync(path.join(out, 'init.view')) && fs.readFileSync(path.join(out, 'init.view'), 'utf8').includes('cwd:'), 10000, 'the init\'s view');
  f.out = out;
  f.initView = parseView(fs.readFileSync(path.join(out, 'init.view'), 'utf8'));
  f.pid = f.state().pid;
  f.exec = (...a) => f.cli('exec', ...a);
  /** A detached exec: its process keeps ocits's stdout/stderr, so those go to files. */
  f.execDetached = (...a) => ocitsToFiles(['--root', root, 'exec', '-d', ...a], out);
  /** The exec'd process's view, with `flags` before the id. */
  f.view = (flags = []) => {
    const r = f.cli('exec', ...flags, f.id, 'sh', '-c', VIEW);
    t.equal(r.status, 0, `exec ${flags.join(' ')}: ${r.stderr}`);
    return parseView(r.stdout);
  };
  return f;
}

t.test('a plain exec sees exactly what the init sees', async (t) => {
  const f = await started(t);
  const init = f.initView;
  t.equal(init.Seccomp, '2', 'the init runs under the filter');
  t.equal(init.NoNewPrivs, '1');
  t.match(init.attr, /./, 'the LSM attribute (or the error reading it) is reported');
  const v = f.view();
  t.same(v, init, 'namespaces, ids, capabilities, seccomp, no_new_privs, cgroups, LSM attribute, cwd');
  for (const n of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts']) t.not(v[`ns.${n}`], fs.readlinkSync(`/proc/self/ns/${n}`), `${n} namespace is the container's, not the host's`);
  const mk = f.exec(f.id, 'sh', '-c', 'mkdir /tmp/x; echo rc=$?');
  t.equal(mk.stdout, 'rc=1\n', 'the seccomp filter holds for the exec\'d process');
  t.match(mk.stderr, /Operation not permitted/);
  t.same(f.exec(f.id, 'sh', '-c', 'exit 7').status, 7, 'exec exits with the process status');
});

t.test('-d --pid-file: the host sees the exec\'d process in the init\'s namespaces and cgroups', async (t) => {
  const f = await started(t);
  const pidFile = path.join(f.out, 'exec.pid');
  const r = f.execDetached('--pid-file', pidFile, f.id, 'sleep', '100000');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '', 'detached: no output');
  const text = fs.readFileSync(pidFile, 'utf8');
  t.match(text, /^\d+$/, 'bare digits');
  const pid = Number(text);
  t.not(pid, f.pid);
  t.equal(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\x00100000\x00');
  for (const n of NS) t.equal(fs.readlinkSync(`/proc/${pid}/ns/${n}`), fs.readlinkSync(`/proc/${f.pid}/ns/${n}`), `ns ${n}`);
  t.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), fs.readFileSync(`/proc/${f.pid}/cgroup`, 'utf8'), 'the init\'s cgroups');
  const inside = f.exec(f.id, 'sh', '-c', `ps -o pid,args | grep "sleep 100000" | grep -v grep | wc -l`);
  t.equal(inside.stdout.trim(), '2', 'the init and the exec\'d sleep, both in the container\'s pid namespace');
  t.equal(f.cli('delete', '--force', f.id).status, 0);
  await until(() => !fs.existsSync(`/proc/${pid}`), 10000, 'the exec\'d process to go with the container');
  t.same(f.leftovers(), []);
});

t.test('--process FILE: args, env, cwd, user and capabilities come from the file alone', async (t) => {
  const f = await started(t);
  const proc = path.join(f.out, 'process.json');
  fs.writeFileSync(proc, JSON.stringify({
    args: ['sh', '-c', `${VIEW}; echo "env: $ONLY_HERE $PATH"`],
    env: ['ONLY_HERE=yes', 'PATH=/bin'], cwd: '/tmp', user: { uid: 1000, gid: 1001, additionalGids: [1002] },
    capabilities: { bounding: ['CAP_KILL'], effective: [], permitted: [] }, noNewPrivileges: true,
  }));
  const r = f.exec('--process', proc, f.id);
  t.equal(r.status, 0, r.stderr);
  const v = parseView(r.stdout);
  t.equal(v.cwd, '/tmp');
  t.equal(v.env, 'yes /bin', 'env is the file\'s, not the container\'s');
  t.match(v.Uid, /^1000\s+1000\s+1000\s+1000$/);
  t.match(v.Gid, /^1001\s+1001\s+1001\s+1001$/);
  t.equal(v.Groups, '1002');
  t.equal(v.CapBnd, hex(bit('CAP_KILL')), 'bounding set from the file');
  t.equal(v.CapEff, hex(0n));
  for (const n of NS) t.equal(v[`ns.${n}`], f.initView[`ns.${n}`], `ns ${n}`);
  t.equal(v.cgroup, f.initView.cgroup);
  t.equal(v.Seccomp, '2');
  const bad = f.exec('--process', path.join(f.out, 'nonexistent.json'), f.id);
  t.equal(bad.status, 255);
  t.match(bad.stderr, /^ocits: exec: .*nonexistent\.json.*\n$/, 'one line naming the file');
});

t.test('-u uid[:gid] and -g: ids of the exec\'d process', async (t) => {
  const f = await started(t);
  const a = f.view(['-u', '1000:1001']);
  t.match(a.Uid, /^1000\s+1000\s+1000\s+1000$/);
  t.match(a.Gid, /^1001\s+1001\s+1001\s+1001$/);
  const b = f.view(['-u', '1000']);
  t.match(b.Uid, /^1000\s+1000\s+1000\s+1000$/);
  t.match(b.Gid, /^0\s+0\s+0\s+0$/, 'without :gid the container\'s gid stays');
  const c = f.view(['-g', '10', '-g', '20']);
  t.equal(c.Groups, '10 20', 'additional gids');
  t.match(c.Uid, /^0\s/);
  const bad = f.exec('-u', 'nobody', f.id, 'true');
  t.equal(bad.status, 255);
  t.match(bad.stderr, /^ocits: exec: --user "?nobody"?: expected uid\[:gid\] as numbers\n$/);
});

t.test('-e and --cwd', async (t) => {
  const f = await started(t);
  const r = f.exec('-e', 'FOO=bar', '-e', 'TERM=dumb', '--cwd', '/tmp', f.id, 'sh', '-c', 'echo "$FOO $TERM $PATH"; pwd; env | grep -c "^TERM="');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'bar dumb /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/tmp\n1\n', '-e adds and overrides once, the container\'s PATH stays, --cwd');
  const v = f.view(['--cwd', '/dev']);
  t.equal(v.cwd, '/dev');
  const missing = f.exec('--cwd', '/nonexistent', f.id, 'true');
  t.equal(missing.status, 255, missing.stderr);
  t.match(missing.stderr, /^ocits: exec: .*\/nonexistent.*\n$/, 'one line naming the directory');
  await until(() => f.exec(f.id, 'sh', '-c', 'ps -o args | grep -c "^true"').stdout.trim() === '0', 5000, 'no process left by the refused exec');
});

t.test('--cap adds to every set but the inheritable one; --no-new-privs', async (t) => {
  const f = await started(t, (c) => { c.process.noNewPrivileges = false; });
  const init = f.initView;
  t.equal(init.NoNewPrivs, '0');
  const v = f.view(['--cap', 'CAP_SYS_ADMIN', '--cap', 'CAP_NET_RAW']);
  const extra = bit('CAP_SYS_ADMIN') | bit('CAP_NET_RAW');
  for (const set of ['CapBnd', 'CapPrm', 'CapEff']) t.equal(v[set], hex(BigInt(`0x${init[set]}`) | extra), `${set}: the init's plus SYS_ADMIN and NET_RAW`);
  t.equal(v.CapInh, init.CapInh);
  t.equal(v.NoNewPrivs, '0', 'no_new_privs as the container has it');
  t.equal(f.view(['--no-new-privs']).NoNewPrivs, '1', '--no-new-privs sets it');
  const bad = f.exec('--cap', 'CAP_NO_SUCH', f.id, 'true');
  t.equal(bad.status, 255);
  t.match(bad.stderr, /^ocits: exec: .*CAP_NO_SUCH.*\n$/);
});

t.test('--preserve-fds N passes fds 3..N+2 and no more', async (t) => {
  const f = await started(t);
  const file = path.join(f.out, 'fd3');
  fs.writeFileSync(file, 'from the host\n');
  // The shell's own fds, listed with builtins only (a pipeline's pipes would show up).
  const run = (flags) => new Promise((resolve) => {
    const fd = fs.openSync(file, 'r');
    const p = spawn(OCITS, ['--root', root, 'exec', ...flags, f.id, 'sh', '-c', 'cat <&3; for n in 0 1 2 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$n ] && printf "%s " $n; done; echo'],
      { stdio: ['ignore', 'pipe', 'pipe', fd, fd], env: ocitsEnv() });
    fs.closeSync(fd);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (status) => resolve({ status, out, err }));
  });
  const one = await run(['--preserve-fds', '1']);
  t.equal(one.status, 0, one.err);
  t.equal(one.out, 'from the host\n0 1 2 3 \n', 'fd 3 passed, fd 4 not');
  const none = await run([]);
  t.match(none.out, /^0 1 2 $/m, 'without the flag only 0-2');
  t.match(none.err, /can't|Bad file descriptor/, 'reading fd 3 fails');
});

t.test('-t --console-socket: a new pty of the container, everything else as the init has it', async (t) => {
  const f = await started(t);
  const sock = path.join(f.out, 'console.sock');
  const rcv = spawn(PYTHON3, [path.join(REPO, 'test/fixtures/console-receiver.py'), sock, ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => rcv.kill());
  let out = '';
  await new Promise((resolve) => rcv.stdout.on('data', (d) => { out += d; if (out.includes('listening')) resolve(); }));
  const done = new Promise((resolve) => rcv.on('exit', resolve));
  const r = f.exec('-t', '--console-socket', sock, f.id, 'sh', '-c', `${VIEW}; echo "tty: $(tty)"; exit 5`);
  t.equal(r.status, 5, `exec exits with the process status (${r.stderr})`);
  await done;
  const v = parseView(out.slice(out.indexOf('output=') + 'output='.length));
  t.match(v.tty, /^\/dev\/pts\/\d+$/, 'stdin is a pty of the container');
  delete v.tty;
  t.same(v, f.initView, 'namespaces, ids, capabilities, seccomp, cgroups as the init has them');
  // Without a socket ocits relays the pty itself (test/integration/tty-exec.mjs), unless detached.
  const noSock = f.exec('-t', '-d', f.id, 'true');
  t.equal(noSock.status, 255);
  t.equal(noSock.stderr, 'ocits: exec: cannot allocate a tty for a detached process without --console-socket\n');
});

t.test('paused: exec is refused without --ignore-paused, runs with it once resumed', async (t) => {
  const f = await started(t);
  t.equal(f.cli('pause', f.id).status, 0, 'pause');
  const refused = f.exec(f.id, 'sh', '-c', 'touch /out/refused');
  t.equal(refused.status, 255);
  t.equal(refused.stderr, 'ocits: exec: cannot exec in a paused container (use --ignore-paused)\n');
  t.notOk(fs.existsSync(path.join(f.out, 'refused')));
  const pidFile = path.join(f.out, 'paused.pid');
  const p = spawn(OCITS, ['--root', root, 'exec', '--ignore-paused', '-d', '--pid-file', pidFile, f.id, 'sh', '-c', 'touch /out/ran'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: ocitsEnv() });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => p.on('close', resolve));
  // The new process joins the frozen cgroup: it cannot run before resume.
  await until(() => fs.existsSync(pidFile) || p.exitCode !== null || f.state()?.status === 'paused', 10000, 'exec under way');
  t.notOk(fs.existsSync(path.join(f.out, 'ran')), 'nothing ran while paused');
  t.equal(f.state().status, 'paused');
  t.equal(f.cli('resume', f.id).status, 0, 'resume');
  t.equal(await done, 0, `exec --ignore-paused: ${err}`);
  await until(() => fs.existsSync(path.join(f.out, 'ran')), 10000, 'the exec\'d process to run after resume');
  t.pass('ran after resume');
});

t.test('exec in a stopped container is refused, one line', async (t) => {
  const out = outDir(t);
  const f = fixture(t, root, ['true'], (c) => { c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] }); });
  t.equal(f.create().status, 0);
  t.equal(f.cli('start', f.id).status, 0);
  await until(() => f.state()?.status === 'stopped', 10000, 'stopped');
  const r = f.cli('exec', f.id, 'sh', '-c', 'touch /out/x');
  t.equal(r.status, 255);
  t.equal(r.stderr, 'ocits: exec: cannot exec in a stopped container\n');
  t.notOk(fs.existsSync(path.join(out, 'x')));
});

t.test('user namespace container: the exec\'d process is in it, with the init\'s mapping', async (t) => {
  const HOST = 100000;
  const f = await started(t, (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: HOST, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: HOST, size: 65536 }];
  }, (f, out) => {
    fs.chmodSync(f.b.dir, 0o755);
    t.equal(spawnSync('chown', ['-R', '-h', `${HOST}:${HOST}`, f.b.rootfs, out]).status, 0, 'rootfs owned by the container\'s root');
  });
  t.equal(f.initView.uid_map, `0 ${HOST} 65536;`, 'the init\'s mapping');
  t.not(f.initView['ns.user'], fs.readlinkSync('/proc/self/ns/user'), 'a new user namespace');
  const v = f.view();
  t.same(v, f.initView, 'same user namespace, mapping, ids and everything else');
  const pidFile = path.join(f.out, 'u.pid');
  t.equal(f.execDetached('--pid-file', pidFile, f.id, 'sleep', '100000').status, 0);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  t.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${HOST}\\s+${HOST}\\s+${HOST}\\s+${HOST}$`, 'm'), 'host uid 100000 outside');
  const u = f.view(['-u', '1000']);
  t.match(u.Uid, /^1000\s/, '-u is a uid inside the namespace');
  t.equal(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8'), fs.readFileSync(`/proc/${f.pid}/uid_map`, 'utf8'));
});
