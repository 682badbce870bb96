// CVE-2024-21626 ("Leaky Vessels"): no runtime fd reaches the container, and
// nothing reached through one (/proc/self/fd/N as cwd or as the program) can
// put a container process on the host's filesystem.
// Checklist rows: fd-hygiene-run, fd-hygiene-exec, fd-hygiene-create,
// cwd-proc-fd, exec-cwd-proc-fd, args-proc-fd.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixture, fileRoot, isRoot, until } from '../lib/bundle.mjs';
import { guardHost } from '../lib/security.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);
const hostUnchanged = guardHost(t);

// The fds a forked runtime process holds: node's own (0-19 here: libuv's epoll, eventfds,
// signal pipes), the init's FIFO and fd directory, the channel to the runtime (251).
const FDS = [...Array.from({ length: 18 }, (_, i) => i + 3), 250, 251, 252];

// A host-only directory with a marker and a script: never visible from inside a container.
const hostOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-hostonly-'));
fs.writeFileSync(path.join(hostOnly, 'marker'), 'HOST');
fs.writeFileSync(path.join(hostOnly, 'x'), '#!/bin/sh\necho HOST-MARKER\n', { mode: 0o755 });
t.teardown(() => fs.rmSync(hostOnly, { recursive: true, force: true }));
const up = '../'.repeat(12);

t.test('fd-hygiene-run and fd-hygiene-exec: only 0, 1, 2 (and ls\'s own directory fd)', async (t) => {
  const list = 'for f in /proc/self/fd/*; do echo "${f##*/} $(readlink $f)"; done';
  const f = fixture(t, root, ['sh', '-c', `${list}; sleep 30`]);
  const c = f.create();
  t.equal(c.status, 0, c.stderr);
  t.equal(f.cli('start', f.id).status, 0);
  const ex = f.cli('exec', f.id, 'sh', '-c', list);
  const fds = ex.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
  // The shell's glob opens /proc/self/fd: that is the one extra entry (3), gone by the time readlink runs.
  t.same(fds.filter((n) => Number(n) > 3), [], `exec: no fd above 3 (${ex.stdout.trim().replace(/\n/g, ' | ')})`);
  t.same(fds.slice(0, 3), ['0', '1', '2']);
  const run = (await until(() => /^2 /m.test(c.out()) && c.out(), 10000, 'the listing')).split('\n').filter(Boolean);
  t.same(run.map((l) => l.split(' ')[0]).filter((n) => Number(n) > 3), [], `run: no fd above 3 (${run.join(' | ')})`);
});

t.test('fd-hygiene-create: the waiting init holds no host directory, bundle, state dir or cgroup fd', async (t) => {
  const f = fixture(t, root, ['true']);
  t.equal(f.create().status, 0);
  const pid = f.state().pid;
  const targets = fs.readdirSync(`/proc/${pid}/fd`).map((n) => [n, fs.readlinkSync(`/proc/${pid}/fd/${n}`)]);
  // Allowed, as runc's create.bats allows: stdio, pipes, sockets, anon inodes, the exec FIFO, and the
  // init's own /proc/PID/fd directory (opened to reopen the FIFO; closed before execve).
  // 0-2 are the caller's stdio (here files of the test), handed on as runc does.
  const allowed = (p) => /^(pipe|socket|anon_inode):/.test(p) || p === path.join(root, f.id, 'exec.fifo') || /^\/\d+\/fd$/.test(p);
  const bad = targets.filter(([n, p]) => Number(n) > 2 && !allowed(p));
  t.same(bad, [], `only allowlisted targets (${targets.map((x) => x.join('=')).join(', ')})`);
});

t.test('cwd-proc-fd: process.cwd /proc/self/fd/N never starts, and never shows the host', async (t) => {
  const started = [];
  for (const n of FDS) {
    const f = fixture(t, root, ['sh', '-c', `ls ${up}${hostOnly}; cat ${up}${hostOnly}/marker`], (c) => { c.process.cwd = `/proc/self/fd/${n}`; });
    const r = f.run();
    if (r.status === 0 || /HOST/.test(r.stdout) || /marker/.test(r.stdout)) started.push(`${n}: ${r.status} ${r.stdout.trim()}`);
  }
  t.same(started, [], `every cwd /proc/self/fd/N (N in ${FDS[0]}..${FDS.at(-1)}) failed`);
});

t.test('exec-cwd-proc-fd: exec --cwd /proc/self/fd/N never runs', async (t) => {
  const f = fixture(t, root, ['sleep', '60']);
  t.equal(f.create().status, 0);
  t.equal(f.cli('start', f.id).status, 0);
  const ran = [];
  for (const n of FDS) {
    const r = f.cli('exec', '--cwd', `/proc/self/fd/${n}`, f.id, 'sh', '-c', `pwd; cat ${up}${hostOnly}/marker`);
    if (r.status === 0 || /HOST/.test(r.stdout)) ran.push(`${n}: ${r.stdout.trim()}`);
  }
  t.same(ran, [], 'every exec failed');
  // Control: a cwd that exists works, so the failures above are about the cwd.
  t.equal(f.cli('exec', '--cwd', '/tmp', f.id, 'pwd').stdout, '/tmp\n');
});

t.test('args-proc-fd: args[0] through /proc/self/fd/N never runs a host program', async (t) => {
  const ran = [];
  for (const n of FDS.filter((n) => n <= 20)) {
    const f = fixture(t, root, [`/proc/self/fd/${n}/${up}${hostOnly}/x`]);
    const r = f.run();
    if (r.status === 0 || /HOST-MARKER/.test(r.stdout)) ran.push(`${n}: ${r.stdout.trim()}`);
  }
  t.same(ran, [], 'HOST-MARKER never printed');
});

hostUnchanged();
