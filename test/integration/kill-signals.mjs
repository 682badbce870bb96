// `kill ID SIGNAL` as runc takes it: signal 0 ("is it alive?"), numbers, names
// with and without SIG, checked on a real container.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, OCITS, ocitsEnv, until } from '../lib/bundle.mjs';

const root = fileRoot(t);

t.test('kill ID 0 answers whether the container runs; numbers and names reach the process', async (t) => {
  // The trap prints what it got to a file the test reads through the bundle's rootfs.
  const f = fixture(t, root, ['sh', '-c', 'trap "echo usr1 >> /tmp/got" USR1; trap "echo hup >> /tmp/got" HUP; echo up > /tmp/up; while :; do sleep 0.05; done']);
  f.b.config.root.readonly = false;
  f.b.write(f.b.config);
  t.equal(spawnSync(OCITS, ['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], { stdio: 'ignore', env: ocitsEnv() }).status, 0);
  const fs = await import('node:fs');
  const got = () => { try { return fs.readFileSync(`${f.b.rootfs}/tmp/got`, 'utf8'); } catch { return ''; } };
  await until(() => fs.existsSync(`${f.b.rootfs}/tmp/up`), 10000, 'the container to start');
  for (const sig of ['0', '00']) {
    const r = f.cli('kill', f.id, sig);
    t.equal(r.status, 0, `kill ${sig}: ${r.stderr}`);
    t.equal(r.stderr, '');
  }
  t.equal(f.state().status, 'running', 'signal 0 changes nothing');
  t.equal(f.cli('kill', f.id, '10').status, 0, 'kill 10');
  await until(() => got() === 'usr1\n', 10000, 'USR1');
  t.equal(f.cli('kill', f.id, 'hup').status, 0, 'kill hup');
  await until(() => got() === 'usr1\nhup\n', 10000, 'HUP');
  t.equal(f.cli('kill', f.id, 'sigusr1').status, 0, 'kill sigusr1');
  await until(() => got() === 'usr1\nhup\nusr1\n', 10000, 'second USR1');
  const bad = f.cli('kill', f.id, 'SIGNOPE');
  t.equal(bad.status, 1);
  t.equal(bad.stderr, 'ocits: kill: unknown signal "SIGNOPE"\n');
  t.equal(f.cli('kill', f.id, 'KILL').status, 0);
  await until(() => f.state()?.status === 'stopped', 10000, 'the container to stop');
  const dead = f.cli('kill', f.id, '0');
  t.equal(dead.status, 1, 'signal 0 to a stopped container fails, as runc\'s');
  t.equal(dead.stderr, 'ocits: kill: container not running\n');
});
