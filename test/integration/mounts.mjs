// Mounts seen from inside the container: binds (ro/rw/rbind, files), tmpfs
// options, flags, propagation, symlinked destinations that must stay inside
// the rootfs, masked and read-only paths, read-only root, --no-pivot, sysctl.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, isRoot, BUSYBOX } from '../lib/bundle.mjs';
import { runcRun } from '../lib/runc-side.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

function tmpDir(t, prefix = 'ocits-mnt-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** The container's mountinfo line for a mount point, split: [id, parent, dev, root, mountpoint, options, ...optional, '-', type, source, superOptions]. */
function mountLine(mountinfo, point) {
  const l = mountinfo.split('\n').filter((x) => x.split(' ')[4] === point).pop();
  return l ? l.split(' ') : null;
}

const hostMounted = (p) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);

t.test('bind mounts: rw writes reach the host, ro writes fail', async (t) => {
  const rw = tmpDir(t);
  const ro = tmpDir(t);
  fs.writeFileSync(path.join(ro, 'hostfile'), 'from host\n');
  const f = fixture(t, root, ['sh', '-c', 'echo from-container > /rw/new; cat /ro/hostfile; echo x > /ro/nope; echo "ro-rc=$?"'], (c) => {
    c.mounts.push({ destination: '/rw', type: 'bind', source: rw, options: ['bind', 'rw'] });
    c.mounts.push({ destination: '/ro', type: 'bind', source: ro, options: ['bind', 'ro'] });
  });
  const r = f.run();
  t.equal(r.status, 0);
  t.equal(r.stdout, 'from host\nro-rc=1\n');
  t.match(r.stderr, /can't create \/ro\/nope: Read-only file system/);
  t.equal(fs.readFileSync(path.join(rw, 'new'), 'utf8'), 'from-container\n', 'the write is visible on the host');
  t.notOk(fs.existsSync(path.join(ro, 'nope')));
  t.same(f.leftovers(), []);
});

t.test('a file bind-mounted onto a file, and a mount without type with "bind"', async (t) => {
  const d = tmpDir(t);
  fs.writeFileSync(path.join(d, 'motd'), 'hello file\n');
  const f = fixture(t, root, ['cat', '/etc/motd', '/data/motd'], (c) => {
    c.mounts.push({ destination: '/etc/motd', source: path.join(d, 'motd'), options: ['bind', 'ro'] });
    c.mounts.push({ destination: '/data', source: d, options: ['rbind'] });
  });
  const r = f.run();
  t.equal(r.stderr, '');
  t.equal(r.stdout, 'hello file\nhello file\n');
});

t.test('rbind takes submounts along, bind does not', async (t) => {
  const src = tmpDir(t);
  fs.mkdirSync(path.join(src, 'sub'));
  t.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(src, 'sub')]).status, 0, 'a host submount');
  t.teardown(() => spawnSync('umount', ['-l', path.join(src, 'sub')]));
  fs.writeFileSync(path.join(src, 'sub', 'inner'), 'x');
  const f = fixture(t, root, ['sh', '-c', 'echo "r=$(ls /r/sub)"; echo "b=$(ls /b/sub)"'], (c) => {
    c.mounts.push({ destination: '/r', type: 'bind', source: src, options: ['rbind'] });
    c.mounts.push({ destination: '/b', type: 'bind', source: src, options: ['bind'] });
  });
  const r = f.run();
  t.equal(r.stderr, '');
  t.equal(r.stdout, 'r=inner\nb=\n');
});

t.test('tmpfs with size and mode; nosuid, nodev, noexec in mountinfo and in effect', async (t) => {
  const exe = tmpDir(t);
  fs.copyFileSync(BUSYBOX, path.join(exe, 'true')); // busybox runs the applet named by argv[0]
  fs.chmodSync(path.join(exe, 'true'), 0o755);
  const f = fixture(t, root, ['sh', '-c', 'cat /proc/self/mountinfo > /scratch/mi; cat /scratch/mi; echo "mode=$(stat -c %a /scratch)"; /exe/true; echo "noexec-rc=$?"; /exe2/true; echo "exec-rc=$?"'], (c) => {
    c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=1770', 'nosuid', 'nodev', 'noexec'] });
    c.mounts.push({ destination: '/exe', type: 'bind', source: exe, options: ['bind', 'nosuid', 'nodev', 'noexec'] });
    c.mounts.push({ destination: '/exe2', type: 'bind', source: exe, options: ['bind'] });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const scratch = mountLine(r.stdout, '/scratch');
  t.ok(scratch, '/scratch is a mount');
  t.same(scratch[5].split(',').filter((o) => ['nosuid', 'nodev', 'noexec'].includes(o)).sort(), ['nodev', 'noexec', 'nosuid']);
  t.equal(scratch[scratch.indexOf('-') + 1], 'tmpfs');
  t.match(scratch[scratch.indexOf('-') + 3], /(^|,)size=1024k(,|$)/, 'size=1m');
  t.match(scratch[scratch.indexOf('-') + 3], /(^|,)mode=1770(,|$)/);
  t.match(r.stdout, /^mode=1770$/m);
  const e = mountLine(r.stdout, '/exe');
  t.same(e[5].split(',').filter((o) => ['nosuid', 'nodev', 'noexec'].includes(o)).sort(), ['nodev', 'noexec', 'nosuid'], 'bind mount flags');
  t.match(r.stdout, /^noexec-rc=126$/m, 'noexec: the binary may not run');
  t.match(r.stdout, /^exec-rc=0$/m, 'the same binary runs from a plain bind');
  t.notOk(mountLine(r.stdout, '/exe2')[5].split(',').includes('noexec'));
});

t.test('propagation words are accepted and applied', async (t) => {
  const src = tmpDir(t);
  const words = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable', 'runbindable'];
  const f = fixture(t, root, ['cat', '/proc/self/mountinfo'], (c) => {
    for (const w of words) c.mounts.push({ destination: `/p-${w}`, type: 'bind', source: src, options: ['rbind', w] });
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const optional = (w) => { const l = mountLine(r.stdout, `/p-${w}`); return l.slice(6, l.indexOf('-')); };
  for (const w of ['shared', 'rshared']) t.match(optional(w).join(' '), /shared:\d+/, `${w}: a peer group`);
  for (const w of ['unbindable', 'runbindable']) t.same(optional(w), ['unbindable'], w);
  for (const w of ['slave', 'rslave', 'private', 'rprivate']) t.notMatch(optional(w).join(' '), /shared:|unbindable/, `${w}: not shared`);
});

t.test('rootfsPropagation is accepted', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.linux.rootfsPropagation = 'rslave'; });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
});

t.test('symlinked mount destinations resolve inside the rootfs', async (t) => {
  const esc = tmpDir(t, 'ocits-escape-');
  const name = `ocits-escape-${process.pid}`;
  const f = fixture(t, root, ['sh', '-c', 'ls /etc; ls -d /etc/' + name + ' ' + esc], (c) => {
    c.mounts.push({ destination: `/abs/${name}`, type: 'tmpfs', source: 'tmpfs' });
    c.mounts.push({ destination: `/rel${esc}`, type: 'tmpfs', source: 'tmpfs' });
    c.mounts.push({ destination: `/chain/${name}-b`, type: 'bind', source: esc, options: ['bind'] });
  });
  fs.symlinkSync('/etc', path.join(f.b.rootfs, 'abs'));
  fs.symlinkSync('../../../../../../../..', path.join(f.b.rootfs, 'rel'));
  fs.symlinkSync('hop', path.join(f.b.rootfs, 'chain'));
  fs.symlinkSync('../../../../../../../etc', path.join(f.b.rootfs, 'hop'));
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.notOk(fs.existsSync(`/etc/${name}`), `the host's /etc/${name} was not created`);
  t.notOk(fs.existsSync(`/etc/${name}-b`), `nor /etc/${name}-b`);
  t.notOk(hostMounted(esc), `${esc} is not a mount point on the host`);
  t.same(fs.readdirSync(esc), [], `${esc} stays empty`);
  t.ok(fs.statSync(path.join(f.b.rootfs, 'etc', name)).isDirectory(), 'it landed in the rootfs /etc');
  t.ok(fs.statSync(path.join(f.b.rootfs, 'etc', `${name}-b`)).isDirectory(), 'the chained one too');
  t.ok(fs.statSync(path.join(f.b.rootfs, esc)).isDirectory(), '../.. stops at the rootfs');
  t.match(r.stdout, new RegExp(`^${name}$`, 'm'), 'inside, /etc has it');
  t.same(f.leftovers(), []);
});

t.test('a missing bind source: clear error, nothing left', async (t) => {
  const missing = path.join(os.tmpdir(), `ocits-no-such-dir-${process.pid}`);
  const f = fixture(t, root, ['true'], (c) => { c.mounts.push({ destination: '/data', type: 'bind', source: missing, options: ['bind'] }); });
  const r = f.run();
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`^ocits: .*${missing}.*no such file or directory\\n$`));
  t.equal(r.stderr.split('\n').length, 2, 'one line');
  t.same(f.leftovers(), []);
  t.notOk(fs.existsSync(path.join(f.b.rootfs, 'data')) && fs.readdirSync(path.join(f.b.rootfs, 'data')).length > 0);
});

t.test('maskedPaths: files read as /dev/null, directories as empty', async (t) => {
  const script = 'wc -c < /proc/timer_list; stat -c "%t:%T" /proc/timer_list; ls /sys/firmware | wc -l; echo x > /proc/keys 2>/dev/null; wc -c < /proc/keys';
  const f = fixture(t, root, ['sh', '-c', script]);
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n').map((s) => s.trim()), ['0', '1:3', '0', '0'], 'masked');
  // The same without masks, so the check above means something.
  const g = fixture(t, root, ['sh', '-c', script], (c) => { c.linux.maskedPaths = []; });
  const r2 = g.run();
  const un = r2.stdout.trim().split('\n').map((s) => s.trim());
  t.ok(Number(un[0]) > 0, 'unmasked /proc/timer_list has content');
  t.not(un[1], '1:3');
  t.ok(Number(un[2]) > 0, 'unmasked /sys/firmware has entries');
});

t.test('readonlyPaths: /proc/sys cannot be written', async (t) => {
  const script = 'echo 80 > /proc/sys/net/ipv4/ip_unprivileged_port_start && echo written; cat /proc/sys/net/ipv4/ip_unprivileged_port_start';
  const f = fixture(t, root, ['sh', '-c', script]);
  const r = f.run();
  t.equal(r.stdout, '1024\n');
  t.match(r.stderr, /Read-only file system/);
  const g = fixture(t, root, ['sh', '-c', script], (c) => { c.linux.readonlyPaths = []; });
  const r2 = g.run();
  t.equal(r2.stdout, 'written\n80\n', 'writable without readonlyPaths (own netns)');
});

t.test('root.readonly', async (t) => {
  const script = 'touch /made-here && echo touched; touch /tmp/x 2>/dev/null && echo tmp-touched; true';
  const f = fixture(t, root, ['sh', '-c', script]);
  const r = f.run();
  t.equal(r.stdout, '', 'nothing can be created');
  t.match(r.stderr, /Read-only file system/);
  t.notOk(fs.existsSync(path.join(f.b.rootfs, 'made-here')));
  const g = fixture(t, root, ['sh', '-c', script], (c) => { c.root.readonly = false; });
  const r2 = g.run();
  t.equal(r2.stdout, 'touched\ntmp-touched\n');
  t.ok(fs.existsSync(path.join(g.b.rootfs, 'made-here')), 'a writable root writes into the rootfs');
});

t.test('--no-pivot', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'ls /; grep -c . /proc/self/mountinfo; cat /proc/1/cmdline | tr "\\0" " "']);
  const r = f.run(['--no-pivot']);
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.same(lines.slice(0, -2), ['bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp'], 'the root is the rootfs');
  t.equal(lines.at(-1).trim(), `sh -c ${'ls /; grep -c . /proc/self/mountinfo; cat /proc/1/cmdline | tr "\\0" " "'}`);
  t.same(f.leftovers(), []);
});

t.test('sysctl in a new network namespace', async (t) => {
  const hostStart = fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
  const hostPing = fs.readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8');
  const f = fixture(t, root, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/net/ipv4/ping_group_range'], (c) => {
    c.linux.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '80', 'net.ipv4.ip_forward': '1', 'net.ipv4.ping_group_range': '0 0' };
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.split('\n').map((s) => s.replace(/\s+/g, ' ')), ['80', '1', '0 0', '']);
  t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'), hostStart, 'the host value is untouched');
  t.equal(fs.readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8'), hostPing);
});

t.test('an unknown sysctl fails create cleanly', async (t) => {
  const f = fixture(t, root, ['true'], (c) => { c.linux.sysctl = { 'net.ipv4.no_such_knob': '1' }; });
  const r = f.run();
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: .*net\.ipv4\.no_such_knob.*\n$/);
  t.same(f.leftovers(), []);
});

t.test('a read-only /dev tmpfs with /dev/pts and /dev/shm on it: mount points first, read-only last (as runc)', async (t) => {
  const script = 'grep -E " /dev | /dev/pts | /dev/shm " /proc/self/mountinfo; ls /dev/null /dev/ptmx /dev/pts/ptmx /dev/fd >/dev/null && echo devices-ok; touch /dev/x 2>/dev/null || echo dev-read-only; touch /dev/shm/x && echo shm-writable';
  const f = fixture(t, root, ['sh', '-c', script], (c) => {
    c.mounts.find((m) => m.destination === '/dev').options.push('ro');
    for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_DAC_OVERRIDE');
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^devices-ok\ndev-read-only\nshm-writable$/m, 'devices made, /dev read-only, its submounts as asked');
  const dev = mountLine(r.stdout, '/dev');
  t.ok(dev[5].split(',').includes('ro'), '/dev is mounted read-only');
  t.equal(dev[dev.indexOf('-') + 3].split(',')[0], 'rw', 'as a read-only bind remount (the superblock stays rw, as with runc)');
  t.same(f.leftovers(), []);
});

t.test("a tmpfs over an existing directory takes that directory's mode (as runc)", async (t) => {
  const f = fixture(t, root, ['stat', '-c', '%a %n', '/made', '/old', '/old-mode'], (c) => {
    c.mounts.push({ destination: '/made', type: 'tmpfs', source: 'tmpfs', options: ['mode=1770'] });
    c.mounts.push({ destination: '/old', type: 'tmpfs', source: 'tmpfs' });
    c.mounts.push({ destination: '/old-mode', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777'] });
  });
  for (const d of ['old', 'old-mode']) { fs.mkdirSync(path.join(f.b.rootfs, d)); fs.chmodSync(path.join(f.b.rootfs, d), 0o710); }
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '1770 /made\n710 /old\n710 /old-mode\n');
});

t.test('tmpcopyup: the tmpfs starts with a copy of the directory it covers (as runc)', async (t) => {
  const script = 'ls -lnR /run | grep -v "^total"; cat /run/sub/f; grep " /run " /proc/self/mountinfo | sed "s/.* - /on: /" | cut -d" " -f1,2; touch /run/new && echo writable';
  const f = fixture(t, root, ['sh', '-c', script], (c) => {
    c.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
  });
  const run = path.join(f.b.rootfs, 'run');
  fs.mkdirSync(path.join(run, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(run, 'sub', 'f'), 'from the image\n');
  fs.chmodSync(path.join(run, 'sub', 'f'), 0o640);
  fs.chownSync(path.join(run, 'sub', 'f'), 0, 34);
  fs.chmodSync(path.join(run, 'sub'), 0o710);
  fs.symlinkSync('/etc/passwd', path.join(run, 'link'));
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^lrwxrwxrwx +1 0 +0 .* link -> \/etc\/passwd$/m, 'a link stays a link');
  t.match(r.stdout, /^drwx--x--- +2 0 +0 .* sub$/m, 'directory mode');
  t.match(r.stdout, /^-rw-r----- +1 0 +34 .* f$/m, 'file owner and mode');
  t.match(r.stdout, /^from the image$/m);
  t.match(r.stdout, /^on: tmpfs$/m, 'on a tmpfs');
  t.match(r.stdout, /^writable$/m);
  t.notOk(fs.existsSync(path.join(run, 'new')), 'writes stay in the tmpfs');
  const rc = runcRun(t, f.b.dir, `runc-${f.id}`);
  t.equal(rc.status, 0, rc.stderr);
  const noTimes = (s) => s.replace(/ [A-Z][a-z]{2} +\d+ +[\d:]+ /g, ' ');
  t.equal(noTimes(r.stdout), noTimes(rc.stdout), 'runc sees the same');
});

t.test("runc's default config: the same mount table as runc, in the same order (read-only paths before masks)", async (t) => {
  const f = fixture(t, root, ['cat', '/proc/self/mountinfo'], (c) => { c.linux.cgroupsPath = `/ocits-mi-${process.pid}-${Date.now()}`; });
  const shape = (s) => s.split('\n').filter(Boolean).map((l) => {
    const x = l.split(' ');
    return [x[3], x[4], x[5], ...x.slice(x.indexOf('-'))].join(' ').replace(/\/ocits-bundle-[^/]+/, '<bundle>');
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const rc = runcRun(t, f.b.dir, `runc-${f.id}`);
  t.equal(rc.status, 0, rc.stderr);
  t.same(shape(r.stdout), shape(rc.stdout));
  const order = shape(r.stdout).map((l) => l.split(' ')[1]);
  t.ok(order.indexOf('/proc/sys') < order.indexOf('/proc/keys'), 'read-only /proc/sys before the /proc/keys mask');
});
