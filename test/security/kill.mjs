// kill never signals a process that merely reuses the dead init's pid: ocits
// opens a pidfd, checks the init's start time, then signals through the pidfd.
// Checklist row: kill-pid-reuse. The test runs ocits inside a pid namespace
// of its own so that the init's pid can be handed to a decoy deterministically
// (ns_last_pid).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot, OCITS, ocitsEnv } from '../lib/bundle.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);

t.test('kill-pid-reuse: after the init died and a decoy took its pid, kill fails and the decoy lives', async (t) => {
  const f = fixture(t, root, ['sleep', '600'], (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'pid'); });
  const O = `${OCITS} --root ${root}`;
  const script = `
    ${O} run -d --bundle ${f.b.dir} ${f.id} </dev/null >/dev/null 2>&1 || { echo RUN-FAILED; exit 1; }
    P=$(${O} state ${f.id} | sed -n 's/.*"pid": \\([0-9]*\\).*/\\1/p')
    kill -9 $P
    while [ -e /proc/$P ]; do sleep 0.05; done
    echo $((P - 1)) > /proc/sys/kernel/ns_last_pid
    sleep 600 & D=$!
    [ "$D" = "$P" ] && echo "DECOY-HAS-PID" || echo "DECOY-PID-MISMATCH $D $P"
    ${O} kill ${f.id} KILL; echo "kill=$?"
    kill -0 $D && echo DECOY-ALIVE
    ${O} state ${f.id} | grep -o '"status": "[a-z]*"'
    ${O} delete --force ${f.id}
    kill $D
  `;
  // bash as the namespace's pid 1 reaps the killed init (it is re-parented there).
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'bash', '-c', script], { encoding: 'utf8', env: ocitsEnv(), timeout: 60000 });
  t.match(r.stdout, /DECOY-HAS-PID/, `the decoy got the init's pid (${r.stdout.trim().replace(/\n/g, ' | ')})`);
  t.match(r.stdout, /kill=1/, 'kill failed');
  t.match(r.stderr, /ocits: kill: container not running/);
  t.match(r.stdout, /DECOY-ALIVE/, 'the decoy was not signalled');
  t.match(r.stdout, /"status": "stopped"/, 'state reports stopped');
});
