// Smaller invariants around the container: the runtime's environment does not
// leak in, hooks get no runtime fd, exec'd processes join the init's cgroup,
// delete --force leaves no process, `ocits spec` writes safe defaults.
// Checklist rows: env-no-leak, hooks-fds, exec-cgroup, delete-kills-all,
// spec-defaults.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot, ocits, ocitsEnv, ocitsToFiles, OCITS, until } from '../lib/bundle.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);

t.test('env-no-leak: the runtime\'s environment never reaches the container', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'env; cat /proc/1/environ | tr "\\0" "\\n"']);
  const env = ocitsEnv({ OCITS_SECRET: 'leaked-secret', NOTIFY_SOCKET: '/run/x.sock' });
  const r = ocits(['--root', root, 'run', '--bundle', f.b.dir, f.id], { env });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /leaked-secret|NOTIFY_SOCKET|NODE_/, 'no OCITS_SECRET, NOTIFY_SOCKET or NODE_* inside');
  t.match(r.stdout, /^TERM=xterm$/m, 'control: the configured env is there');
});

t.test('hooks-fds: a hook sees only 0, 1, 2, and 1 and 2 are the runtime\'s', async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-hookfd-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const f = fixture(t, root, ['true'], (c) => {
    c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `ls /proc/self/fd > ${out}/fds; echo hook-stderr >&2`] }] };
  });
  // An extra fd in the caller (not close-on-exec), as a shim's pipe would be.
  const extra = fs.openSync(path.join(out, 'extra'), 'w');
  const r = spawnSync(OCITS, ['--root', root, 'run', '--bundle', f.b.dir, f.id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', extra], env: ocitsEnv(), timeout: 60000 });
  fs.closeSync(extra);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /hook-stderr/, 'the hook\'s stderr is the runtime\'s');
  // ls's own directory fd is the one extra entry.
  // Before the fix the hook inherited whatever the caller of ocits held (here the test
  // runner's fds) and lost stdout/stderr (close-on-exec in node).
  t.same(fs.readFileSync(path.join(out, 'fds'), 'utf8').split('\n').filter(Boolean).map(Number).filter((n) => n > 3), [], 'no fd above 3');
});

t.test('exec-cgroup and delete-kills-all: exec joins the init\'s cgroup; delete --force leaves no process', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'sleep 300 & sleep 300']);
  t.equal(ocitsToFiles(['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], f.b.dir).status, 0);
  const init = f.cli('exec', f.id, 'cat', '/proc/1/cgroup').stdout;
  const mine = f.cli('exec', f.id, 'cat', '/proc/self/cgroup').stdout;
  t.equal(mine, init, 'same cgroups as the init');
  t.equal(ocitsToFiles(['--root', root, 'exec', '-d', f.id, 'sleep', '300'], f.b.dir).status, 0);
  const pids = JSON.parse(f.cli('ps', '--format', 'json', f.id).stdout);
  t.ok(pids.length >= 3, `processes: ${pids.join(' ')}`);
  t.equal(f.cli('delete', '--force', f.id).status, 0);
  await until(() => pids.every((p) => !fs.existsSync(`/proc/${p}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${p}/status`, 'utf8'))), 10000, 'the processes to die');
  t.same(f.leftovers(), [], 'no process, cgroup or state left');
});

t.test('spec-defaults: ocits spec writes no_new_privs, masks, read-only paths, deny-all devices, no inheritable caps', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-spec-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.equal(ocits(['spec', '--bundle', dir]).status, 0);
  const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  t.equal(c.process.noNewPrivileges, true);
  t.notOk(c.process.capabilities.inheritable?.length, 'no inheritable caps');
  // ambient is listed as runc spec lists it; without inheritable the kernel cannot raise it.
  for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware']) t.ok(c.linux.maskedPaths.includes(p), `masks ${p}`);
  for (const p of ['/proc/sys', '/proc/sysrq-trigger']) t.ok(c.linux.readonlyPaths.includes(p), `read-only ${p}`);
  t.same(c.linux.resources.devices[0], { allow: false, access: 'rwm' }, 'deny-all device rule first');
});
