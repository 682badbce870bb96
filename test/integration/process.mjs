// The container's process, seen from inside: args and PATH lookup, env, cwd,
// user and groups, umask, rlimits, the five capability sets, no_new_privs,
// oom_score_adj, signal state and the file descriptors it receives.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixture, fileRoot, ocits, ocitsSpawn, isRoot } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

/** Fields of a /proc/PID/status text. */
const statusOf = (text) => Object.fromEntries(text.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));

const CAP = { CHOWN: 0, DAC_OVERRIDE: 1, KILL: 5, SETGID: 6, SETUID: 7, NET_BIND_SERVICE: 10, NET_RAW: 13, SYS_CHROOT: 18 };
const mask = (...names) => names.reduce((m, n) => m | (1n << BigInt(CAP[n])), 0n).toString(16).padStart(16, '0');
const caps = (...names) => names.map((n) => `CAP_${n}`);

t.test('args: PATH lookup from the process env, argv kept as given', async (t) => {
  const f = fixture(t, root, ['hello', 'a b', 'c'], (c) => { c.process.env = ['PATH=/opt/bin:/bin', 'GREETING=hi']; });
  fs.mkdirSync(path.join(f.b.rootfs, 'opt/bin'), { recursive: true });
  fs.writeFileSync(path.join(f.b.rootfs, 'opt/bin/hello'), '#!/bin/sh\necho "$GREETING from $0 with $# args: $1|$2"\n', { mode: 0o755 });
  const r = f.run();
  t.equal(r.stderr, '');
  t.equal(r.stdout, 'hi from /opt/bin/hello with 2 args: a b|c\n');
  t.equal(r.status, 0);
});

t.test('args: an absolute path, and argv[0] passed through', async (t) => {
  const f = fixture(t, root, ['/bin/sh', '-c', 'echo "$0 $1"', 'zero', 'one']);
  const r = f.run();
  t.equal(r.stdout, 'zero one\n');
});

t.test('env is exactly the configured one (plus HOME from /etc/passwd when it lacks one, as runc)', async (t) => {
  const env = ['PATH=/bin', 'A=1', 'WITH_EQ=x=y', 'EMPTY=', 'SPACES=a  b'];
  const f = fixture(t, root, ['env'], (c) => { c.process.env = env; });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.split('\n').filter(Boolean).sort(), [...env, 'HOME=/root'].sort());
  const withHome = [...env, 'HOME=/x'];
  const g = fixture(t, root, ['env'], (c) => { c.process.env = withHome; });
  t.same(g.run().stdout.split('\n').filter(Boolean).sort(), [...withHome].sort(), 'a configured HOME is kept');
});

t.test('cwd', async (t) => {
  const f = fixture(t, root, ['pwd'], (c) => { c.process.cwd = '/etc'; });
  t.equal(f.run().stdout, '/etc\n');
  const g = fixture(t, root, ['sh', '-c', 'pwd; ls'], (c) => { c.process.cwd = '/root'; c.process.user = { uid: 1000, gid: 1000 }; });
  fs.chmodSync(path.join(g.b.rootfs, 'root'), 0o700);
  const r = g.run();
  // As runc: the runtime enters the cwd before dropping to the user, who then cannot read it.
  t.equal(r.stdout, '/root\n', 'the process starts in a cwd only root may enter');
  t.not(r.status, 0, 'and cannot list it');
  t.match(r.stderr, /^ls: .*Permission denied/m);
});

t.test('user: uid, gid, additionalGids, umask', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'id -u; id -g; id -G; umask; grep -E "^(Uid|Gid|Groups):" /proc/self/status; touch /tmp/f; stat -c "%u:%g %a" /tmp/f'], (c) => {
    c.process.user = { uid: 1000, gid: 1001, additionalGids: [10, 20, 30], umask: 0o027 };
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777'] });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines[0], '1000');
  t.equal(lines[1], '1001');
  t.same(lines[2].split(' ').map(Number).sort((a, b) => a - b), [10, 20, 30, 1001], 'id -G: the gid and the additional gids');
  t.equal(lines[3], '0027');
  const st = statusOf(lines.slice(4, 7).join('\n'));
  t.equal(st.Uid.split(/\s+/).join(' '), '1000 1000 1000 1000', 'real, effective, saved and fs uid');
  t.equal(st.Gid.split(/\s+/).join(' '), '1001 1001 1001 1001');
  t.equal(st.Groups, '10 20 30', 'exactly the additional gids');
  t.equal(lines[7], '1000:1001 640', 'files are created with the umask');
});

t.test('umask defaults to 0022', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'umask']);
  t.equal(f.run().stdout, '0022\n');
});

t.test('rlimits', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'ulimit -Sn; ulimit -Hn; grep -E "^Max (open files|processes|core)" /proc/self/limits'], (c) => {
    c.process.rlimits = [
      { type: 'RLIMIT_NOFILE', soft: 512, hard: 768 },
      { type: 'RLIMIT_NPROC', soft: 100, hard: 200 },
      { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
    ];
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines[0], '512');
  t.equal(lines[1], '768');
  const lim = Object.fromEntries(lines.slice(2).map((l) => { const m = l.match(/^Max (open files|processes|core file size)\s+(\S+)\s+(\S+)/); return [m[1], `${m[2]}/${m[3]}`]; }));
  t.equal(lim['open files'], '512/768');
  t.equal(lim.processes, '100/200');
  t.equal(lim['core file size'], '0/0');
});

t.test('capabilities of a root process: all five sets as configured', async (t) => {
  const full = ['CHOWN', 'DAC_OVERRIDE', 'KILL', 'SETUID', 'NET_BIND_SERVICE'];
  const f = fixture(t, root, ['cat', '/proc/self/status'], (c) => {
    c.process.capabilities = { bounding: caps(...full), effective: caps(...full), permitted: caps(...full), inheritable: caps('KILL'), ambient: caps('KILL') };
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const st = statusOf(r.stdout);
  t.equal(st.CapBnd, mask(...full));
  t.equal(st.CapEff, mask(...full));
  t.equal(st.CapPrm, mask(...full));
  t.equal(st.CapInh, mask('KILL'));
  t.equal(st.CapAmb, mask('KILL'));
});

t.test('capabilities of a non-root process, with ambient ones', async (t) => {
  const f = fixture(t, root, ['cat', '/proc/self/status'], (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.capabilities = {
      bounding: caps('KILL', 'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT'),
      effective: caps('NET_BIND_SERVICE', 'SYS_CHROOT'),
      permitted: caps('NET_BIND_SERVICE', 'SYS_CHROOT'),
      inheritable: caps('NET_BIND_SERVICE', 'SYS_CHROOT'),
      ambient: caps('NET_BIND_SERVICE', 'SYS_CHROOT'),
    };
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const st = statusOf(r.stdout);
  t.equal(st.Uid.split(/\s+/)[1], '1000', 'runs as uid 1000');
  t.equal(st.CapBnd, mask('KILL', 'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT'));
  t.equal(st.CapEff, mask('NET_BIND_SERVICE', 'SYS_CHROOT'), 'effective survives execve through the ambient set');
  t.equal(st.CapPrm, mask('NET_BIND_SERVICE', 'SYS_CHROOT'));
  t.equal(st.CapInh, mask('NET_BIND_SERVICE', 'SYS_CHROOT'));
  t.equal(st.CapAmb, mask('NET_BIND_SERVICE', 'SYS_CHROOT'));
});

t.test('a non-root process with ambient CAP_SYS_CHROOT can use it; without, it cannot', async (t) => {
  const script = ['chroot', '/', 'true'];
  const f = fixture(t, root, script, (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.capabilities = { bounding: caps('SYS_CHROOT'), effective: caps('SYS_CHROOT'), permitted: caps('SYS_CHROOT'), inheritable: caps('SYS_CHROOT'), ambient: caps('SYS_CHROOT') };
  });
  const r = f.run();
  t.equal(r.status, 0, `chroot with the ambient capability: ${r.stderr}`);
  const g = fixture(t, root, script, (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.capabilities = { bounding: caps('SYS_CHROOT'), effective: caps('SYS_CHROOT'), permitted: caps('SYS_CHROOT'), inheritable: caps('SYS_CHROOT') };
  });
  const r2 = g.run();
  t.not(r2.status, 0, 'without ambient the capability is lost at execve');
  t.match(r2.stderr, /Operation not permitted/);
});

t.test('empty capability sets: a root process keeps no capability', async (t) => {
  const f = fixture(t, root, ['cat', '/proc/self/status'], (c) => {
    c.process.capabilities = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const st = statusOf(r.stdout);
  for (const k of ['CapBnd', 'CapEff', 'CapPrm', 'CapInh', 'CapAmb']) t.equal(st[k], '0000000000000000', `${k} empty`);
});

t.test('noNewPrivileges', async (t) => {
  for (const [nnp, want] of [[true, '1'], [false, '0']]) {
    const f = fixture(t, root, ['cat', '/proc/self/status'], (c) => { c.process.noNewPrivileges = nnp; });
    const r = f.run();
    t.equal(statusOf(r.stdout).NoNewPrivs, want, `noNewPrivileges ${nnp}`);
  }
});

t.test('oomScoreAdj', async (t) => {
  const f = fixture(t, root, ['cat', '/proc/self/oom_score_adj'], (c) => { c.process.oomScoreAdj = 500; });
  t.equal(f.run().stdout, '500\n');
  // (Negative values need CAP_SYS_RESOURCE, which this test machine's root may lack.)
  const g = fixture(t, root, ['cat', '/proc/self/oom_score_adj'], (c) => { c.process.oomScoreAdj = 1000; });
  t.equal(g.run().stdout, '1000\n');
});

t.test('signal dispositions reset and the mask cleared', async (t) => {
  const f = fixture(t, root, ['cat', '/proc/self/status']);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const st = statusOf(r.stdout);
  // Node ignores SIGPIPE and handles several signals; none of that may leak.
  t.equal(st.SigIgn, '0000000000000000', 'nothing ignored (not even SIGPIPE)');
  t.equal(st.SigBlk, '0000000000000000', 'nothing blocked');
  t.equal(st.SigCgt, '0000000000000000', 'no handlers (execve resets them anyway)');
  t.equal(st.SigPnd, '0000000000000000');
  t.equal(st.ShdPnd, '0000000000000000');
});

/** Runs `ocits run` with two extra pipes as fds 3 and 4; collects everything. */
function runWithExtraFds(f, extra) {
  const child = ocitsSpawn(['--root', root, 'run', '--bundle', f.b.dir, ...extra, f.id], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  const bufs = [1, 2, 3, 4].map(() => []);
  [1, 2, 3, 4].forEach((n, i) => child.stdio[n].on('data', (d) => bufs[i].push(d)));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out: bufs.map((b) => Buffer.concat(b).toString()) })));
}

t.test('only fds 0-2 reach the container, even when the runtime has more open', async (t) => {
  const f = fixture(t, root, ['ls', '/proc/self/fd']);
  const r = await runWithExtraFds(f, []);
  t.equal(r.code, 0, r.out[1]);
  t.same(r.out[0].trim().split(/\s+/), ['0', '1', '2', '3'], '0-2 and the directory ls reads');
});

t.test('--preserve-fds 2 passes fds 3 and 4', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'ls /proc/self/fd | tr "\\n" " "; echo; echo three >&3; echo four >&4']);
  const r = await runWithExtraFds(f, ['--preserve-fds', '2']);
  t.equal(r.code, 0, r.out[1]);
  t.same(r.out[0].trim().split(/\s+/), ['0', '1', '2', '3', '4', '5'], '0-4 and the directory ls reads');
  t.equal(r.out[2], 'three\n', 'fd 3 is the caller\'s fd 3');
  t.equal(r.out[3], 'four\n', 'fd 4 is the caller\'s fd 4');
});

t.test('the container gets the stdio of the runtime', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'cat; echo err >&2']);
  const r = ocits(['--root', root, 'run', '--bundle', f.b.dir, f.id], { input: 'from stdin\n' });
  t.equal(r.stdout, 'from stdin\n');
  t.equal(r.stderr, 'err\n');
});
