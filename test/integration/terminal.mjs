// Terminals: process.terminal with --console-socket (create and exec), and
// `run` relaying its own pty to the user's terminal.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle, makeRoot, uniqueId, ocits, leftovers, OCITS, REPO } from '../lib/bundle.mjs';
import { PYTHON3 } from '../lib/skip.mjs';

const RECEIVER = path.join(REPO, 'test/fixtures/console-receiver.py');
const root = makeRoot();
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));

/** Starts the receiver on a socket path; resolves once it listens. Returns its output promise. */
function receiver(sock, input) {
  const p = spawn(PYTHON3, [RECEIVER, sock, input], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => p.kill());
  let out = '';
  const listening = new Promise((resolve) => p.stdout.on('data', (d) => { out += d; if (out.includes('listening')) resolve(); }));
  const done = new Promise((resolve) => p.on('exit', () => resolve(out)));
  return { listening, done };
}

t.test('create --console-socket: the pty master reaches the socket, the slave is the process\'s controlling terminal', async (t) => {
  const b = makeBundle(['sh'], (c) => { c.process.terminal = true; c.process.consoleSize = { height: 33, width: 101 }; return c; });
  const id = uniqueId('tty');
  t.teardown(() => { ocits(['--root', root, 'delete', '--force', id]); b.cleanup(); });
  const sock = path.join(b.dir, 'console.sock');
  const rcv = receiver(sock, 'tty; stty size; ls -l /proc/self/fd/0; exit 5\\n');
  await rcv.listening;
  const c = ocits(['--root', root, 'create', '--bundle', b.dir, '--console-socket', sock, id]);
  t.equal(c.status, 0, c.stderr);
  t.equal(ocits(['--root', root, 'start', id]).status, 0);
  const out = await rcv.done;
  t.match(out, /name=\/dev\/pts\/\d+/, 'the message names the pty');
  t.match(out, /\/dev\/pts\/0\n/, 'tty inside is /dev/pts/0');
  t.match(out, /33 101\n/, 'consoleSize applied');
  for (let i = 0; i < 100 && JSON.parse(ocits(['--root', root, 'state', id]).stdout).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(JSON.parse(ocits(['--root', root, 'state', id]).stdout).status, 'stopped');
});

t.test('exec --tty --console-socket runs the process on a new pty of the container', async (t) => {
  const b = makeBundle(['sleep', '60']);
  const id = uniqueId('ttyexec');
  t.teardown(() => { ocits(['--root', root, 'delete', '--force', id]); b.cleanup(); });
  // stdio not piped: a detached container keeps it open, and spawnSync would wait for it.
  t.equal(spawnSync(OCITS, ['--root', root, 'run', '-d', '--bundle', b.dir, id], { stdio: 'ignore' }).status, 0);
  const sock = path.join(b.dir, 'exec.sock');
  const rcv = receiver(sock, 'tty; echo pid=$$; exit 3\\n');
  await rcv.listening;
  const e = spawnSync(OCITS, ['--root', root, 'exec', '--tty', '--console-socket', sock, id, 'sh'], { encoding: 'utf8', timeout: 30000 });
  t.equal(e.status, 3, `exec exits with the process status (${e.stderr})`);
  const out = await rcv.done;
  t.match(out, /\/dev\/pts\/\d+\n/);
  t.notMatch(out, /pid=1\n/, 'a new process, not the init');
});

t.test('run of a terminal container without a console socket relays the user\'s terminal', (t) => {
  const b = makeBundle(['sh', '-c', 'tty; stty size; read x; echo "got $x"; exit 7'], (c) => { c.process.terminal = true; return c; });
  const id = uniqueId('ttyrun');
  t.teardown(() => { ocits(['--root', root, 'delete', '--force', id]); b.cleanup(); });
  // script(1) gives ocits a real terminal of 40x120.
  const r = spawnSync('script', ['-qec', `stty cols 120 rows 40; ${OCITS} --root ${root} run --bundle ${b.dir} ${id}; echo "status=$?"`, '/dev/null'],
    { encoding: 'utf8', input: 'hello\n', timeout: 30000, env: { ...process.env, NODE_OPTIONS: '' } });
  const out = r.stdout.replace(/\r/g, '');
  t.match(out, /\/dev\/pts\/0\n/, 'the container has its own pty');
  t.match(out, /40 120\n/, 'the window size of the user\'s terminal');
  t.match(out, /got hello\n/, 'input reaches the container');
  t.match(out, /status=7\n/, 'run exits with the container status');
  t.same(leftovers(root, b.dir, id), []);
  t.end();
});

t.test('a console socket that does not exist is a clear error and leaves nothing', (t) => {
  const b = makeBundle(['sh'], (c) => { c.process.terminal = true; return c; });
  const id = uniqueId('ttybad');
  t.teardown(() => b.cleanup());
  const r = ocits(['--root', root, 'create', '--bundle', b.dir, '--console-socket', path.join(b.dir, 'nope.sock'), id]);
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: create: console socket .*nope\.sock: no such file or directory\n$/);
  t.same(leftovers(root, b.dir, id), []);
  const noSock = ocits(['--root', root, 'create', '--bundle', b.dir, id]);
  t.equal(noSock.status, 1);
  t.match(noSock.stderr, /terminal.*--console-socket/);
  t.end();
});
