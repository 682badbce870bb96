// A network namespace the runtime creates has `lo` up (as runc and crun do);
// one joined by path is left as it is. Compared with runc on the same bundle.
import t from 'tap';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot } from '../lib/bundle.mjs';
import { runcRun } from '../lib/runc-side.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

/** Prints lo's flags, then whether a TCP connection to 127.0.0.1 went through. */
const PROBE = 'ip -o link show lo | sed "s/.*<\\(.*\\)>.*/flags=\\1/"; '
  + '(nc -l -p 5555 > /dev/shm/got &); '
  + 'for i in $(seq 100); do echo hello | nc 127.0.0.1 5555 2>/dev/null && break; sleep 0.05; done; '
  + 'for i in $(seq 100); do [ -s /dev/shm/got ] && break; sleep 0.05; done; echo "got=$(cat /dev/shm/got)"';

t.test('a new network namespace: lo is UP and 127.0.0.1 is reachable, as with runc', async (t) => {
  const f = fixture(t, root, ['sh', '-c', PROBE]);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^flags=LOOPBACK,UP,LOWER_UP\n/m);
  t.match(r.stdout, /^got=hello$/m, 'a listener on 127.0.0.1 is reached');
  const theirs = runcRun(t, f.b.dir, f.id);
  t.equal(r.stdout, theirs.stdout, 'the same as runc');
});

t.test('a new network namespace owned by a new user namespace: lo is UP', async (t) => {
  const f = fixture(t, root, ['sh', '-c', PROBE], (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  fs.chmodSync(f.b.dir, 0o755);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^flags=LOOPBACK,UP,LOWER_UP\n/m);
  t.match(r.stdout, /^got=hello$/m);
});

t.test('a network namespace joined by path is not touched: its lo stays down', async (t) => {
  const name = `ocits-lo-${process.pid}`;
  t.equal(spawnSync('ip', ['netns', 'add', name]).status, 0, 'ip netns add');
  t.teardown(() => spawnSync('ip', ['netns', 'del', name]));
  const f = fixture(t, root, ['sh', '-c', 'ip -o link show lo | sed "s/.*<\\(.*\\)>.*/flags=\\1/"'], (c) => {
    c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/run/netns/${name}` } : n));
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'flags=LOOPBACK\n', 'lo still down inside');
  const host = spawnSync('ip', ['netns', 'exec', name, 'ip', '-o', 'link', 'show', 'lo'], { encoding: 'utf8' });
  t.notMatch(host.stdout, /[<,]UP[,>]/, 'and after, seen from the host');
  const theirs = runcRun(t, f.b.dir, f.id);
  t.equal(r.stdout, theirs.stdout, 'the same as runc');
});
