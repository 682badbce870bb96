// Socket activation: LISTEN_FDS handed to ocits for its own pid reach the
// container's process as fds from 3, with LISTEN_FDS=N and LISTEN_PID=1.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { makeBundle, fileRoot, uniqueId, leftovers, OCITS } from '../lib/bundle.mjs';
import { PYTHON3 } from '../lib/skip.mjs';

const root = fileRoot(t);

// python3 plays systemd: a listening socket on fd 3, LISTEN_PID set to the pid that execs ocits.
const ACTIVATE = `
import os, socket, sys
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
os.environ['LISTEN_FDS'] = '1'; os.environ['LISTEN_PID'] = str(os.getpid())
os.execv(sys.argv[1], sys.argv[1:])
`;

t.test('LISTEN_FDS sockets are passed to the container', (t) => {
  const b = makeBundle(['sh', '-c', 'echo "$LISTEN_FDS $LISTEN_PID"; readlink /proc/self/fd/3; readlink /proc/self/fd/4 || echo no-fd-4']);
  const id = uniqueId('act');
  t.teardown(() => b.cleanup());
  const r = spawnSync(PYTHON3, ['-c', ACTIVATE, OCITS, '--root', root, 'run', '--bundle', b.dir, id], { encoding: 'utf8', timeout: 30000 });
  t.equal(r.status, 0, r.stderr);
  const [env, fd3] = r.stdout.split('\n');
  t.equal(env, '1 1', 'LISTEN_FDS=1 and LISTEN_PID=1 inside');
  t.match(fd3, /^socket:\[\d+\]$/, 'fd 3 is the listening socket');
  t.same(leftovers(root, b.dir, id), []);
  t.end();
});

t.test('LISTEN_FDS meant for another process is ignored', (t) => {
  const b = makeBundle(['sh', '-c', 'echo "[$LISTEN_FDS]"; ls /proc/self/fd | tr "\\n" " "']);
  const id = uniqueId('act');
  t.teardown(() => b.cleanup());
  const r = spawnSync(OCITS, ['--root', root, 'run', '--bundle', b.dir, id],
    { encoding: 'utf8', timeout: 30000, env: { PATH: process.env.PATH, LISTEN_FDS: '1', LISTEN_PID: '1' } });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '[]\n0 1 2 3 ', 'no LISTEN_FDS and no extra fd (3 is ls\'s own directory fd)');
  t.end();
});
