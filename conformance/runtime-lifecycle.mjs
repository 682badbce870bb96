// runtime.md "Lifecycle" and "Scope of a Container": create without running
// the user program, start running it, stop, delete undoing create.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clause, fixture, isRoot, sleep, nsOf, waitFor, refused } from './lib/harness.mjs';

t.ok(isRoot, 'conformance tests run as root');

clause('runtime.md Scope of a Container: the entity that created a container MUST be able to use the operations (state, start, kill, delete) against it', async (t) => {
  const c = fixture(t, ['sleep', '30']);
  t.equal(c.create().status, 0, 'create');
  t.equal(c.state()?.status, 'created', 'state');
  t.equal(c.start().status, 0, 'start');
  t.equal(c.kill('KILL').status, 0, 'kill');
  t.equal((await c.waitStatus('stopped'))?.status, 'stopped');
  t.equal(c.del().status, 0, 'delete');
  t.equal(c.state(), null, 'gone after delete');
});

clause('runtime.md Lifecycle step 2: the user-specified program MUST NOT be run at create time (side effect absent until start)', async (t) => {
  const c = fixture(t, ['sh', '-c', 'touch /results/ran; sleep 30']);
  const r = c.create();
  t.equal(r.status, 0, r.stderr);
  await sleep(700);
  t.notOk(c.exists('ran'), 'no side effect after create');
  t.equal(c.state()?.status, 'created');
  t.equal(c.start().status, 0);
  t.ok(await c.waitFile('ran'), 'the side effect appears after start');
});

clause('runtime.md Lifecycle step 2: if the runtime is unable to create the environment in config.json, it MUST generate an error', async (t) => {
  const c = fixture(t, ['true'], (cfg) => {
    cfg.mounts.push({ destination: '/nowhere', type: 'ocits-no-such-fs', source: 'none' });
  });
  const r = c.create();
  refused(t, r, 'create', /ocits-no-such-fs/, c);
  t.equal(c.state(), null, 'and no container exists');
});

clause('runtime.md Lifecycle step 2: any updates to config.json after create MUST NOT affect the container', async (t) => {
  const c = fixture(t, ['sh', '-c', 'echo "$MARK $(hostname)" > /results/out'], (cfg) => { cfg.process.env.push('MARK=original'); });
  t.equal(c.create().status, 0);
  const cfg = JSON.parse(fs.readFileSync(path.join(c.b.dir, 'config.json'), 'utf8'));
  cfg.process.args = ['sh', '-c', 'echo changed > /results/changed'];
  cfg.process.env.push('MARK=changed');
  cfg.hostname = 'changed-host';
  c.b.write(cfg);
  t.equal(c.start().status, 0);
  t.ok(await c.waitFile('out'), 'the original program ran');
  await c.waitStatus('stopped');
  t.equal(c.read('out'), 'original ocits-test\n', 'with the original env and hostname');
  t.notOk(c.exists('changed'), 'the updated program did not run');
});

clause('runtime.md Lifecycle step 8: the runtime MUST run the user-specified program as specified by process (args, env, cwd)', async (t) => {
  const c = fixture(t, ['sh', '-c', 'echo "$0 $1|$FOO|$(pwd)" > /results/out', 'zero', 'one'], (cfg) => {
    cfg.process.env.push('FOO=bar baz');
    cfg.process.cwd = '/tmp';
  });
  t.equal(c.create().status, 0);
  t.equal(c.start().status, 0);
  t.ok(await c.waitFile('out'));
  await c.waitStatus('stopped');
  t.equal(c.read('out'), 'zero one|bar baz|/tmp\n');
});

clause('runtime.md Lifecycle step 10: when the container process exits on its own (any status), the container is "stopped"', async (t) => {
  const c = fixture(t, ['sh', '-c', 'exit 3']);
  t.equal(c.create().status, 0);
  t.equal(c.start().status, 0);
  t.equal((await c.waitStatus('stopped'))?.status, 'stopped');
});

clause('runtime.md Lifecycle step 10: when the container process is stopped by the kill operation, the container is "stopped"', async (t) => {
  const c = fixture(t, ['sleep', '30']);
  t.equal(c.create().status, 0);
  t.equal(c.start().status, 0);
  t.equal(c.kill('KILL').status, 0);
  t.equal((await c.waitStatus('stopped'))?.status, 'stopped');
});

clause('runtime.md Lifecycle step 12: delete MUST destroy the container by undoing the steps performed during create (no process, mounts, cgroups or state left)', async (t) => {
  const c = fixture(t, ['sh', '-c', 'sleep 0.3'], (cfg) => {
    cfg.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
  });
  t.equal(c.create().status, 0);
  const pid = c.state()?.pid;
  const netns = nsOf(pid, 'net');
  t.not(netns, nsOf(process.pid, 'net'), 'the container had its own network namespace');
  t.equal(c.start().status, 0);
  await c.waitStatus('stopped');
  const r = c.del();
  t.equal(r.status, 0, r.stderr);
  t.same(c.leftovers(), [], 'no mounts, cgroups, state directory or processes left');
  t.equal(c.state(), null, 'the container no longer exists');
  t.ok(await waitFor(() => nsOf(pid, 'net') !== netns, 2000), 'the container process is gone');
});
