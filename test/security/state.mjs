// The state directory and the inputs that name files: ids cannot leave the
// --root, the state is not followed through symlinks, config input is bounded
// and exact (no NUL truncation, exact 64-bit values).
// Checklist rows: id-validation, state-dir-safety, config-nul, config-u64,
// config-not-regular.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fixture, fileRoot, isRoot, makeBundle, ocits, uniqueId } from '../lib/bundle.mjs';
import { guardHost } from '../lib/security.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);
const hostUnchanged = guardHost(t);

t.test('id-validation: ids with /, .., . or empty are refused by every command', async (t) => {
  const b = makeBundle(['true']);
  t.teardown(b.cleanup);
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-idroot-'));
  t.teardown(() => fs.rmSync(parent, { recursive: true, force: true }));
  const r = path.join(parent, 'state');
  const before = fs.readdirSync(parent);
  const commands = [['create', '--bundle', b.dir], ['run', '--bundle', b.dir], ['start'], ['state'], ['kill'], ['delete'], ['delete', '--force'],
    ['exec'], ['pause'], ['resume'], ['update', '--pids-limit', '5'], ['events', '--stats'], ['ps']];
  // NUL cannot be passed in argv; it is covered below for config strings and by the unit tests.
  for (const id of ['../x', 'a/b', '..', '.', '']) {
    for (const cmd of commands) {
      const extra = cmd[0] === 'exec' ? [id, 'true'] : [id];
      const res = ocits(['--root', r, ...cmd, ...extra], { timeout: 20000 });
      t.not(res.status, 0, `${cmd.join(' ')} ${JSON.stringify(id)} refused`);
      t.match(res.stderr, /^ocits: \S+: .*(container id|invalid)/, `${cmd[0]} ${JSON.stringify(id)}: one-line error about the id (${res.stderr.trim()})`);
    }
  }
  t.same(fs.readdirSync(parent), before, 'nothing created next to the state root');
  t.notOk(fs.existsSync(path.join(parent, 'x')) || fs.existsSync(path.join(parent, 'y')), 'no x or y escaped the root');
});

t.test('state-dir-safety: a new --root is 0700, state files 0600, and a symlinked container dir is refused', async (t) => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-newroot-'));
  t.teardown(() => fs.rmSync(parent, { recursive: true, force: true }));
  const r = path.join(parent, 'state');
  const f = fixture(t, r, ['sleep', '30']);
  t.equal(f.create().status, 0);
  t.equal(fs.statSync(r).mode & 0o777, 0o700, '--root made 0700');
  t.equal(fs.statSync(path.join(r, f.id, 'state.json')).mode & 0o777, 0o600, 'state.json is 0600');
  t.equal(f.cli('delete', '--force', f.id).status, 0);

  const victim = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-victim-'));
  t.teardown(() => fs.rmSync(victim, { recursive: true, force: true }));
  fs.writeFileSync(path.join(victim, 'file'), 'keep');
  fs.writeFileSync(path.join(victim, 'state.json'), '{"id":"c1"}');
  const id = uniqueId('victim');
  fs.symlinkSync(victim, path.join(r, id));
  const b = makeBundle(['true']);
  t.teardown(b.cleanup);
  t.not(ocits(['--root', r, 'create', '--bundle', b.dir, id]).status, 0, 'create through the symlink refused');
  ocits(['--root', r, 'delete', id]);
  ocits(['--root', r, 'delete', '--force', id]);
  ocits(['--root', r, 'kill', id, 'KILL']);
  t.same(fs.readdirSync(victim).sort(), ['file', 'state.json'], 'the victim directory is intact');
  t.equal(fs.readFileSync(path.join(victim, 'file'), 'utf8'), 'keep');
});

t.test('config-nul: a NUL byte in a destination, args, env or sysctl key is refused', async (t) => {
  const cases = [
    ['mount destination', (c) => { c.mounts.push({ destination: '/proc\u0000x', type: 'tmpfs', source: 'tmpfs' }); }, /\/mounts\/7\/destination: must not contain a NUL byte/],
    ['args', (c) => { c.process.args = ['sh\u0000', '-c', 'true']; }, /\/process\/args\/0: must not contain a NUL byte/],
    ['env', (c) => { c.process.env.push('A=b\u0000c'); }, /\/process\/env\/2: must not contain a NUL byte/],
    ['sysctl key', (c) => { c.linux.sysctl = { 'net.ipv4.ip_forward\u0000x': '1' }; }, /\/linux\/sysctl: key "net\.ipv4\.ip_forward\\u0000x" must not contain a NUL byte/],
    ['hostname', (c) => { c.hostname = 'a\u0000b'; }, /\/hostname: must not contain a NUL byte/],
  ];
  for (const [what, edit, why] of cases) {
    const f = fixture(t, root, ['true'], edit);
    const r = f.run();
    t.not(r.status, 0, `${what}: refused`);
    t.match(r.stderr, why, `${what}: says where`);
    t.notMatch(r.stderr, /\u0000/, 'no NUL in the message');
    t.same(f.leftovers(), []);
  }
});

t.test('config-u64: RLIM_INFINITY (2^64-1) is applied exactly', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'grep "core file size" /proc/self/limits'], (c) => {
    c.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 1024, hard: 'U64MAX' });
  });
  // JSON.stringify cannot write 2^64-1 exactly: put the digits in the text.
  const text = fs.readFileSync(path.join(f.b.dir, 'config.json'), 'utf8').replace('"U64MAX"', '18446744073709551615');
  fs.writeFileSync(path.join(f.b.dir, 'config.json'), text);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  // 2^64-1 parsed as a double becomes 2^64, which wraps to 0 as a u64: the hard limit would be 0.
  t.match(r.stdout, /^Max core file size\s+1024\s+unlimited\s+bytes/, `soft 1024, hard unlimited (${r.stdout.trim()})`);
});

t.test('config-not-regular: config.json as /dev/zero, a FIFO, or over 16 MiB fails fast', async (t) => {
  for (const [what, make] of [
    ['/dev/zero', (p) => fs.symlinkSync('/dev/zero', p)],
    ['a FIFO', (p) => execFileSync('mkfifo', [p])],
    ['17 MiB', (p) => fs.writeFileSync(p, Buffer.alloc(17 * 1024 * 1024, 0x20))],
  ]) {
    const f = fixture(t, root, ['true']);
    const p = path.join(f.b.dir, 'config.json');
    fs.rmSync(p);
    make(p);
    const r = f.cli('create', '--bundle', f.b.dir, f.id);
    t.not(r.status, 0, `${what}: refused`);
    t.notOk(r.signal, `${what}: not killed by the test's timeout`);
    t.match(r.stderr, /config\.json: (not a regular file|larger than)/, `${what}: says why`);
    t.same(f.leftovers(), []);
  }
});

hostUnchanged();
