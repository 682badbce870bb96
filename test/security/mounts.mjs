// Where mounts land: procfs only on a real /proc (CVE-2019-16884, CVE-2019-19921,
// CVE-2023-27561, CVE-2023-28642), destinations resolved inside the rootfs
// (CVE-2021-30465, CVE-2024-45310, crun CVE-2019-18837), /dev built inside the
// rootfs (CVE-2026-41579), masks made only from the real /dev/null
// (CVE-2025-31133), nothing written through /dev/console (CVE-2025-52565).
// Checklist rows: proc-symlink, sys-symlink, proc-bind-over-proc,
// proc-tmpfs-over-proc, mount-under-proc, mountdest-symlink, mkdirall-host,
// dev-symlink-outside, mask-devnull-symlink, mask-devnull-missing,
// console-target-symlink.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fixture, fileRoot, isRoot, REPO } from '../lib/bundle.mjs';
import { PYTHON3 } from '../lib/skip.mjs';
import { guardHost, hostMountsWith } from '../lib/security.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);
const hostUnchanged = guardHost(t);

const tmpDir = (t, prefix) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
};
const PROBE = 'cat /proc/self/attr/current 2>/dev/null; head -1 /proc/meminfo; echo STARTED';

for (const [dir, fstype] of [['proc', 'proc'], ['sys', 'sysfs']]) {
  t.test(`${dir}-symlink: a rootfs whose /${dir} is a symlink is refused (absolute, relative, /, escaping)`, async (t) => {
    const outside = tmpDir(t, `ocits-${dir}-out-`);
    for (const target of [`/bad-${dir}`, `bad-${dir}`, '/', `../../../../../..${outside}`]) {
      const f = fixture(t, root, ['sh', '-c', PROBE]);
      fs.rmSync(path.join(f.b.rootfs, dir), { recursive: true });
      fs.mkdirSync(path.join(f.b.rootfs, `bad-${dir}`));
      fs.symlinkSync(target, path.join(f.b.rootfs, dir));
      const r = f.run();
      // runc <= 1.1.4 and ocits before the fix mounted procfs at the link's target and ran.
      t.not(r.status, 0, `/${dir} -> ${target}: refused`);
      t.match(r.stderr, new RegExp(`filesystem "${fstype}" must be mounted on an ordinary directory`), `/${dir} -> ${target}: says why`);
      t.notMatch(r.stdout, /STARTED/);
      t.same(fs.readdirSync(path.join(f.b.rootfs, `bad-${dir}`)), [], 'nothing was mounted or created at the target in the rootfs');
      t.same(f.leftovers(), []);
    }
    t.same(fs.readdirSync(outside), [], 'nothing appeared in the host directory');
    t.same(hostMountsWith(outside), []);
  });
}

t.test('proc-bind-over-proc, proc-tmpfs-over-proc, mount-under-proc: only procfs at /proc, only lxcfs files under it', async (t) => {
  const fake = tmpDir(t, 'ocits-fakeproc-');
  fs.mkdirSync(path.join(fake, 'self/attr'), { recursive: true });
  fs.writeFileSync(path.join(fake, 'file'), 'fake\n');
  const refused = [
    [{ destination: '/proc', type: 'bind', source: fake, options: ['rbind'] }, /only a procfs may be mounted at \/proc/],
    [{ destination: '/proc', type: 'tmpfs', source: 'tmpfs' }, /only a procfs may be mounted at \/proc/],
    [{ destination: '/proc/sys/kernel/core_pattern', type: 'bind', source: path.join(fake, 'file'), options: ['bind'] }, /is inside \/proc/],
    [{ destination: '/proc/self/attr', type: 'tmpfs', source: 'tmpfs' }, /is inside \/proc/],
    [{ destination: '/proc/sysrq-trigger', type: 'bind', source: path.join(fake, 'file'), options: ['bind'] }, /is inside \/proc/],
  ];
  for (const [m, why] of refused) {
    const f = fixture(t, root, ['sh', '-c', PROBE], (c) => { c.mounts.push(m); });
    const r = f.run();
    t.not(r.status, 0, `${m.type} at ${m.destination}: refused`);
    t.match(r.stderr, why);
    t.same(f.leftovers(), []);
  }
  // Control: the lxcfs-style files may be bind-mounted, and a procfs may be bound at /proc.
  const ok = fixture(t, root, ['cat', '/proc/meminfo'], (c) => { c.mounts.push({ destination: '/proc/meminfo', type: 'bind', source: path.join(fake, 'file'), options: ['bind'] }); });
  const r = ok.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'fake\n', 'control: a bind over /proc/meminfo starts');
});

t.test('mountdest-symlink and mkdirall-host: destinations through symlinks land inside the rootfs', async (t) => {
  const out = tmpDir(t, 'ocits-out-');
  const f = fixture(t, root, ['sh', '-c', 'mount | grep -c " /tmp/ocits-out"; echo STARTED'], (c) => {
    c.mounts.push({ destination: '/esc/a/b/c/d', type: 'tmpfs', source: 'tmpfs' });
    c.mounts.push({ destination: '/esc2/e', type: 'tmpfs', source: 'tmpfs' });
    c.mounts.push({ destination: '/esc3/f/g', type: 'bind', source: REPO, options: ['bind'] });
  });
  fs.symlinkSync(out, path.join(f.b.rootfs, 'esc'));
  fs.symlinkSync(`../../../../../../..${out}`, path.join(f.b.rootfs, 'esc2'));
  fs.symlinkSync('/proc/self/root' + out, path.join(f.b.rootfs, 'esc3'));
  const r = f.run();
  // Either refused or in-root; never on the host.
  t.comment(`run: status ${r.status} ${r.stderr.trim()}`);
  if (r.status === 0) {
    t.match(r.stdout, /STARTED/);
    t.ok(fs.existsSync(path.join(f.b.rootfs, out, 'a/b/c/d')), 'the deep destination was created inside the rootfs');
  }
  t.same(fs.readdirSync(out), [], 'no directory or file was created in the host directory');
  t.same(hostMountsWith(out), [], 'nothing is mounted there on the host');
  t.same(f.leftovers(), []);
});

t.test('dev-symlink-outside: /dev -> a host directory; /dev is built inside the rootfs', async (t) => {
  const outDev = tmpDir(t, 'ocits-outside-dev-');
  fs.writeFileSync(path.join(outDev, 'ptmx'), 'MARKER');
  const f = fixture(t, root, ['ls', '/dev'], (c) => {
    c.mounts = c.mounts.filter((m) => !m.destination.startsWith('/dev'));
    c.root.readonly = true;
  });
  fs.rmSync(path.join(f.b.rootfs, 'dev'), { recursive: true });
  fs.symlinkSync(outDev, path.join(f.b.rootfs, 'dev'));
  f.run(); // may fail
  t.same(fs.readdirSync(outDev), ['ptmx'], 'the host directory holds only its own ptmx');
  t.equal(fs.readFileSync(path.join(outDev, 'ptmx'), 'utf8'), 'MARKER', 'which is unchanged');
  t.same(f.leftovers(), []);
});

t.test('mask-devnull-symlink and mask-devnull-missing: masks only from the real null device', async (t) => {
  const devWith = (entries) => {
    const d = tmpDir(t, 'ocits-devdir-');
    for (const [name, target] of Object.entries(entries)) fs.symlinkSync(target, path.join(d, name));
    return d;
  };
  const probe = 'head -c 80 /proc/timer_list; stat -Lc %F:%t:%T /proc/timer_list; grep -q "Timer List" /proc/timer_list && echo UNMASKED';
  for (const [what, devdir] of [['null -> /proc/self/status', devWith({ null: '/proc/self/status' })], ['no null', devWith({})]]) {
    const f = fixture(t, root, ['sh', '-c', probe], (c) => {
      c.mounts = c.mounts.filter((m) => !m.destination.startsWith('/dev'));
      c.mounts.push({ destination: '/dev', type: 'bind', source: devdir, options: ['rbind'] });
      c.linux.maskedPaths = ['/proc/kcore', '/proc/timer_list'];
    });
    const r = f.run();
    // runc 1.1.5 runs the first case and shows /proc/self/status (Name: sh) at /proc/timer_list.
    if (r.status === 0) t.equal(r.stdout, 'character special file:1:3\n', `${what}: masked by the null device`);
    else t.match(r.stderr, /linux\.maskedPaths: masks are binds of \/dev\/null/, `${what}: refused, saying why`);
    t.notMatch(r.stdout, /Name:|UNMASKED/, `${what}: neither redirected nor unmasked`);
    t.same(f.leftovers(), []);
  }
});

t.test('console-target-symlink: a /dev/console link to a procfs file is never written or mounted through', async (t) => {
  const devdir = tmpDir(t, 'ocits-devdir-');
  fs.symlinkSync('/proc/sys/kernel/domainname', path.join(devdir, 'console'));
  fs.symlinkSync('pts/ptmx', path.join(devdir, 'ptmx'));
  fs.mkdirSync(path.join(devdir, 'pts'));
  const f = fixture(t, root, ['sh', '-c', 'stat -c %F /proc/sys/kernel/domainname; cat /proc/sys/kernel/domainname; exit 0'], (c) => {
    c.process.terminal = true;
    c.mounts = c.mounts.filter((m) => !m.destination.startsWith('/dev'));
    c.mounts.push({ destination: '/dev', type: 'bind', source: devdir, options: ['rbind'] });
    c.mounts.push({ destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] });
    c.linux.maskedPaths = [];
  });
  const sock = path.join(f.b.dir, 'console.sock');
  const rcv = spawn(PYTHON3, [path.join(REPO, 'test/fixtures/console-receiver.py'), sock, ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => rcv.kill());
  let out = '';
  const listening = new Promise((resolve) => rcv.stdout.on('data', (d) => { out += d; if (out.includes('listening')) resolve(); }));
  const done = new Promise((resolve) => rcv.on('exit', resolve));
  await listening;
  const c = f.create(['--console-socket', sock]);
  if (c.status === 0) {
    t.equal(f.cli('start', f.id).status, 0);
    await done;
    t.match(out, /output=regular (empty )?file/, 'the procfs file is still a regular file (nothing mounted over it)');
  } else {
    rcv.kill();
    t.pass(`create refused: ${c.stderr.trim()}`);
  }
  t.equal(fs.readlinkSync(path.join(devdir, 'console')), '/proc/sys/kernel/domainname', 'the link itself is untouched');
  t.same(fs.readdirSync(devdir).sort(), ['console', 'ptmx', 'pts'], 'nothing created in the host directory');
});

hostUnchanged();
