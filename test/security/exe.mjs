// CVE-2019-5736 and CVE-2016-9962: no container process can reach the
// runtime's binary (the host's node), its JS files or its fds. The init and
// every exec'd process are forks of node until they execve, so each row below
// looks for node from inside the container.
// Checklist rows: exe-create-window, exe-self-reexec, exec-join-stress,
// runtime-files (node and the JS files neither reachable nor writable).
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixture, fileRoot, isRoot, ocitsToFiles, REPO, until } from '../lib/bundle.mjs';
import { copyNodeLibs, devIno, guardHost } from '../lib/security.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);
const hostUnchanged = guardHost(t);

// The runtime's own files: what a container must never reach or overwrite.
const koffi = JSON.parse(fs.readFileSync(path.join(REPO, 'dist/koffi-native.json'), 'utf8')).file;
const RUNTIME_FILES = [
  process.execPath,
  path.join(REPO, 'dist/ocits.js'),
  path.join(REPO, 'dist/ocits.blob'),
  path.join(REPO, 'bin/ocits'),
  path.resolve(REPO, 'dist', koffi),
];
const RUNTIME_IDS = new Set(RUNTIME_FILES.map(devIno));

t.test('runtime-files: node, the JS files and the koffi addon are root-owned and not group/world-writable', async (t) => {
  for (const f of RUNTIME_FILES) {
    const st = fs.statSync(f);
    t.equal(st.uid, 0, `${f} belongs to root`);
    t.equal(st.mode & 0o022, 0, `${f} is not group/world-writable (mode ${(st.mode & 0o777).toString(8)})`);
  }
});

t.test('exe-create-window: a process exec\'d into a created container cannot reach the waiting init (node)', async (t) => {
  const f = fixture(t, root, ['sleep', '600']);
  const c = f.create();
  t.equal(c.status, 0, c.stderr);
  // On a build that leaves the init dumpable, uid 0 in the container owns the init: readlink,
  // open of exe, fd/N, cwd and root all succeed (the control after start shows the probe can).
  const probe = 'readlink /proc/1/exe && echo EXE; cat /proc/1/exe >/dev/null && echo EXEREAD; '
    + 'for f in /proc/1/fd/*; do readlink "$f" && echo FD; done; ls /proc/1/cwd/ >/dev/null && echo CWD; '
    + 'ls /proc/1/root/ >/dev/null && echo ROOT; head -c1 /proc/1/mem >/dev/null && echo MEM; echo END';
  const r = f.cli('exec', f.id, 'sh', '-c', probe);
  t.equal(r.stdout.trim(), 'END', `nothing of the init is reachable (stderr: ${r.stderr.trim().split('\n').join(' | ')})`);
  t.equal(f.cli('start', f.id).status, 0);
  const pid = f.state().pid;
  await until(() => { try { return fs.readlinkSync(`/proc/${pid}/exe`) !== process.execPath; } catch { return false; } }, 10000, 'exec of sleep');
  const after = f.cli('exec', f.id, 'sh', '-c', 'readlink /proc/1/exe && echo EXE');
  t.equal(after.stdout, '/bin/busybox\nEXE\n', 'control: once the init exec\'d, the same probe reads its exe');
});

t.test('exe-self-reexec: args[0] /proc/self/exe (or a link to it) never runs node in the container', async (t) => {
  const nodeIno = String(fs.statSync(process.execPath).ino);
  for (const [what, arg0, link] of [['/proc/self/exe', '/proc/self/exe', false], ['/entry -> /proc/self/exe', '/entry', true]]) {
    const f = fixture(t, root, [arg0, '-p', "require('fs').statSync('/proc/self/exe').ino"]);
    // node's libraries in the rootfs: without them the exec would fail for a reason unrelated to the fix.
    copyNodeLibs(f.b.rootfs);
    if (link) fs.symlinkSync('/proc/self/exe', path.join(f.b.rootfs, 'entry'));
    const r = f.run();
    // A build without the check prints the host node's inode here (seen once on such a build: 260689).
    t.not(r.stdout.trim(), nodeIno, `${what}: the host node did not run inside`);
    t.not(r.status, 0, `${what}: refused`);
    t.match(r.stderr, /is the runtime's own binary/, `${what}: the error says why`);
    t.same(f.leftovers(), [], `${what}: nothing left`);
  }
});

t.test('exec-join-stress: while processes join by exec, pid 1 never reaches node, a runtime file or a host path', async (t) => {
  // pid 1 scans every other process of the container (exe, cwd, root, fds) in a loop and logs
  // what it could resolve; dev:ino pairs are compared with the runtime's files afterwards.
  // Its own children (ppid 1, forked for $(...)) are skipped; joining processes have ppid 0.
  const scan = 'while [ ! -e /tmp/stop ]; do for p in /proc/[0-9]*; do [ "$p" = /proc/1 ] && continue; '
    + 'read -r _ _ _ ppid _ < $p/stat 2>/dev/null || continue; [ "$ppid" = 1 ] && continue; '
    + 'for l in $p/exe $p/cwd $p/root $p/fd/*; do t=$(readlink "$l" 2>/dev/null) && echo "$l $t $(stat -Lc %d:%i "$l" 2>/dev/null)" >> /tmp/log; done; '
    + 'done; usleep 1000; done; echo done > /tmp/finished; sleep 600';
  const f = fixture(t, root, ['sh', '-c', scan], (c) => { c.root.readonly = false; });
  // Output to files: the detached container keeps them open (pipes would never reach EOF).
  const started = ocitsToFiles(['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], f.b.dir);
  t.equal(started.status, 0, started.stderr);
  const N = 20;
  let ok = 0;
  for (let i = 0; i < N; i++) if (f.cli('exec', f.id, 'true').status === 0) ok++;
  t.equal(ok, N, `${N} execs ran`);
  // Control: a container process of the same uid is resolvable by the same scan.
  t.equal(ocitsToFiles(['--root', root, 'exec', '-d', f.id, 'sleep', '30'], f.b.dir).status, 0);
  await until(() => fs.existsSync(path.join(f.b.rootfs, 'tmp/log')) && fs.readFileSync(path.join(f.b.rootfs, 'tmp/log'), 'utf8').includes('/bin/busybox'), 20000, 'the scan to see the sleep');
  fs.writeFileSync(path.join(f.b.rootfs, 'tmp/stop'), '');
  await until(() => fs.existsSync(path.join(f.b.rootfs, 'tmp/finished')), 20000, 'the scan to stop');
  const log = fs.readFileSync(path.join(f.b.rootfs, 'tmp/log'), 'utf8').split('\n').filter(Boolean);
  const bad = log.filter((l) => {
    const [, target, id] = l.split(' ');
    return RUNTIME_IDS.has(id) || target === process.execPath || target.includes(root) || target.includes(REPO) || /\(unreachable\)|^\/proc\/\d+\/fd$/.test(target);
  });
  // Seen failing on a build whose exec child stayed dumpable: pid 1 read /proc/P/exe -> /usr/bin/node.
  t.same(bad, [], 'no runtime file, state dir or host path was reachable');
  t.ok(log.some((l) => / \/bin\/busybox /.test(l)), 'control: the scan resolves an ordinary container process');
});

hostUnchanged();
