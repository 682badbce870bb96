// `exec -t` without --console-socket relays the pty to ocits's own terminal (as
// runc does); the pty slave, and other stdio, belong to the process's user.
// script(1) (bsdutils, installed by scripts/setup.sh) gives ocits a real terminal.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fixture, fileRoot, isRoot, OCITS, REPO, ocitsEnv } from '../lib/bundle.mjs';
import { RUNC, runcRun } from '../lib/runc-side.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

/**
 * Runs `cmd` under script(1) in a 40x120 terminal, typing `input`; its output without CRs.
 * script's stdin stays open until it exits: at EOF script would end the session early.
 */
function inTerminal(cmd, input = '') {
  const p = spawn('script', ['-qec', `stty cols 120 rows 40; ${cmd}; echo "status=$?"`, '/dev/null'],
    { stdio: ['pipe', 'pipe', 'inherit'], env: ocitsEnv() });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.on('error', (e) => { out += `script failed: ${e.message}`; });
  p.stdin.write(input);
  return new Promise((resolve) => p.on('close', () => { p.stdin.destroy(); resolve(out.replace(/\r/g, '')); }));
}

function running(t, edit) {
  const f = fixture(t, root, ['sleep', '300'], edit);
  t.equal(spawnSync(OCITS, ['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], { stdio: 'ignore', env: ocitsEnv() }).status, 0, 'run -d');
  return f;
}

t.test('exec -t without --console-socket: output, input, window size and exit status go through ocits\'s terminal', async (t) => {
  const f = running(t);
  const out = await inTerminal(`${OCITS} --root ${root} exec -t ${f.id} sh -c 'tty; stty size; read x; echo "got $x"; exit 4'`, 'hello\n');
  t.match(out, /^\/dev\/pts\/\d+\n/m, 'the process has a pty of the container');
  t.match(out, /^40 120\n/m, 'the size of ocits\'s terminal');
  t.match(out, /^got hello\n/m, 'input reaches the process');
  t.match(out, /^status=4\n/m, 'exec exits with the process\'s status');
  t.notMatch(out, /console-socket/);
});

t.test('exec -t -d without --console-socket is refused as runc refuses it (exit 255), and nothing runs', async (t) => {
  const f = running(t);
  const r = f.cli('exec', '-t', '-d', f.id, 'sh', '-c', 'echo ran > /dev/shm/ran');
  t.equal(r.status, 255);
  t.equal(r.stderr, 'ocits: exec: cannot allocate a tty for a detached process without --console-socket\n');
  t.equal(f.cli('exec', f.id, 'cat', '/dev/shm/ran').status, 1, 'the process did not run');
});

t.test('the pty slave belongs to the process\'s user (and the tty group), for exec -t and run, as with runc', async (t) => {
  const f = running(t);
  const STAT = 'stat -c "%u %g %a" $(tty)';
  const out = await inTerminal(`${OCITS} --root ${root} exec -t -u 1000:1000 ${f.id} sh -c '${STAT}'`);
  t.match(out, /^1000 5 620\n/m, 'exec -t -u 1000');
  const theirs = fixture(t, root, ['sh', '-c', STAT], (c) => { c.process.terminal = true; c.process.user = { uid: 1000, gid: 1000 }; });
  const ours = await inTerminal(`${OCITS} --root ${root} run --bundle ${theirs.b.dir} ${theirs.id}`);
  t.match(ours, /^1000 5 620\n/m, 'run of a terminal container as uid 1000');
  const runc = await inTerminal(`${RUNC} --root ${root}-runc run --bundle ${theirs.b.dir} ${theirs.id}`);
  spawnSync(RUNC, ['--root', `${root}-runc`, 'delete', '-f', theirs.id]);
  t.equal(ours.match(/^\d+ \d+ \d+$/m)?.[0], runc.match(/^\d+ \d+ \d+$/m)?.[0], 'the same as runc');
});

t.test('stdout and stderr pipes are handed to the process\'s user too (as runc does)', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'stat -L -c "%u" /proc/self/fd/1 /proc/self/fd/2'], (c) => { c.process.user = { uid: 1000, gid: 1000 }; });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '1000\n1000\n');
  t.equal(runcRun(t, f.b.dir, f.id).stdout, r.stdout, 'the same as runc');
});

t.test('exec -t relays window-size changes: the process gets SIGWINCH and the new size', async (t) => {
  const f = running(t);
  const helper = path.join(REPO, 'test/fixtures/pty-resize.py');
  // The trap prints the size it sees on each SIGWINCH; the process ends once it saw 50x150.
  const script = 'trap \'s=$(stty size); echo "winch $s"; [ "$s" = "50 150" ] && exit 6\' WINCH; stty size; echo ready; while :; do sleep 0.05; done';
  const r = spawnSync('python3', [helper, OCITS, '--root', root, 'exec', '-t', f.id, 'sh', '-c', script], { encoding: 'utf8', timeout: 60000, env: ocitsEnv() });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^24 80\nready\n/m, 'the first size is the terminal\'s');
  t.match(r.stdout, /^winch 50 150$/m, 'SIGWINCH with the new size');
  t.match(r.stdout, /^status=6$/m);
});
