// config-linux.md "Default Filesystems", "Devices", "Default Devices", "Dev
// symbolic links", "Control groups" (cgroupsPath, device allowlist order),
// "Masked Paths" and "Readonly Paths".
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clause, fixture, isRoot, parseMountinfo, ocitsPiped, refused } from './lib/harness.mjs';

t.ok(isRoot, 'conformance tests run as root');


/** `stat` of container paths: { path: "type major minor mode uid gid" } (major/minor in hex). */
const STAT = (paths) => `for p in ${paths.join(' ')}; do echo "$p $(stat -c '%F %t %T %a %u %g' $p 2>/dev/null || echo missing)"; done`;
function stats(stdout) {
  return Object.fromEntries(stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
}

clause('config-linux.md Default Filesystems: /proc (proc), /sys (sysfs), /dev/pts (devpts) and /dev/shm (tmpfs) SHOULD be available (default `ocits spec` config)', async (t) => {
  const c = fixture(t, ['cat', '/proc/self/mountinfo'], () => {}, { results: false });
  fs.rmSync(path.join(c.b.dir, 'config.json'));
  const s = ocitsPiped(['spec', '--bundle', c.b.dir]);
  t.equal(s.status, 0, `ocits spec ${s.stderr}`);
  const cfg = JSON.parse(fs.readFileSync(path.join(c.b.dir, 'config.json'), 'utf8'));
  cfg.process.args = ['cat', '/proc/self/mountinfo'];
  cfg.process.terminal = false;
  c.b.write(cfg);
  const r = c.run();
  t.equal(r.status, 0, r.stderr);
  const mounts = parseMountinfo(r.stdout);
  for (const [dest, type] of [['/proc', 'proc'], ['/sys', 'sysfs'], ['/dev/pts', 'devpts'], ['/dev/shm', 'tmpfs']]) {
    t.equal(mounts.filter((m) => m.mountPoint === dest).pop()?.fstype, type, `${dest} is ${type}`);
  }
});

clause('config-linux.md Devices: "devices" lists devices that MUST be available in the container (type, major, minor, fileMode, uid, gid)', async (t) => {
  const r = fixture(t, ['sh', '-c', STAT(['/dev/conformance-null', '/dev/conformance-fifo', '/dev/sub/conformance-zero'])], (cfg) => {
    cfg.linux.devices = [
      { path: '/dev/conformance-null', type: 'c', major: 1, minor: 3, fileMode: 0o620, uid: 1000, gid: 1001 },
      { path: '/dev/conformance-fifo', type: 'p', fileMode: 0o600 },
      { path: '/dev/sub/conformance-zero', type: 'c', major: 1, minor: 5 },
    ];
  }).run();
  t.equal(r.status, 0, r.stderr);
  const st = stats(r.stdout);
  t.equal(st['/dev/conformance-null'], 'character special file 1 3 620 1000 1001');
  t.match(st['/dev/conformance-fifo'], /^fifo 0 0 600 0 0$/);
  t.match(st['/dev/sub/conformance-zero'], /^character special file 1 5 \d+ 0 0$/, 'parent directories are created');
});

clause('config-linux.md Devices: if a file already exists at "path" that does not match the requested device, the runtime MUST generate an error', async (t) => {
  const c = fixture(t, ['true'], (cfg) => {
    cfg.root.readonly = false;
    cfg.linux.devices = [{ path: '/etc/conformance-existing', type: 'c', major: 1, minor: 3 }];
  });
  fs.writeFileSync(path.join(c.b.rootfs, 'etc/conformance-existing'), 'a regular file\n');
  refused(t, c.create(), 'create', /conformance-existing/, c);
  t.equal(c.state(), null);
  t.equal(fs.readFileSync(path.join(c.b.rootfs, 'etc/conformance-existing'), 'utf8'), 'a regular file\n', 'the file is untouched');
});

clause('config-linux.md Default Devices: the runtime MUST supply /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty and /dev/ptmx', async (t) => {
  const want = { '/dev/null': '1 3', '/dev/zero': '1 5', '/dev/full': '1 7', '/dev/random': '1 8', '/dev/urandom': '1 9', '/dev/tty': '5 0' };
  const r = fixture(t, ['sh', '-c', `${STAT(Object.keys(want))}; echo "ptmx $(readlink /dev/ptmx) $(stat -L -c '%F %t %T' /dev/ptmx)"`], (cfg) => {
    delete cfg.linux.devices;
  }).run();
  t.equal(r.status, 0, r.stderr);
  const st = stats(r.stdout);
  for (const [p, mm] of Object.entries(want)) t.match(st[p], new RegExp(`^character special file ${mm} 666 `), `${p} is c ${mm}, mode 666`);
  t.match(st.ptmx, /^(pts\/ptmx|\/dev\/pts\/ptmx)? ?character special file 5 2$/, `ptmx is the container's ptmx (${st.ptmx})`);
});

clause('config-linux.md Dev symbolic links: the runtime MUST create /dev/fd, /dev/stdin, /dev/stdout and /dev/stderr pointing into /proc/self/fd', async (t) => {
  const r = fixture(t, ['sh', '-c', 'for l in fd stdin stdout stderr; do echo "$l $(readlink /dev/$l)"; done']).run();
  t.equal(r.stdout, 'fd /proc/self/fd\nstdin /proc/self/fd/0\nstdout /proc/self/fd/1\nstderr /proc/self/fd/2\n', r.stderr);
});

clause('config-linux.md Control groups: given the same "cgroupsPath", the runtime MUST consistently attach to the same place in the cgroups hierarchy', async (t) => {
  const cgPath = `/ocits-conformance-cg-${process.pid}`;
  const seen = [];
  for (let i = 0; i < 2; i++) {
    const c = fixture(t, ['sleep', '30'], (cfg) => { cfg.linux.cgroupsPath = cgPath; });
    t.equal(c.create().status, 0);
    const pid = c.state()?.pid;
    const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean);
    seen.push(lines);
    t.ok(lines.some((l) => /:pids:/.test(l) && l.endsWith(`:${cgPath}`)), `run ${i + 1}: in ${cgPath} (${lines.find((l) => /:pids:/.test(l))})`);
    t.equal(c.del(['--force']).status, 0);
  }
  t.same(seen[0], seen[1], 'the same cgroups both times');
});

clause('config-linux.md Device allowed list: the runtime MUST apply "resources.devices" entries in the listed order', async (t) => {
  // The host's /dev/net/tun (c 10:200), bind-mounted: only the allowed list decides whether it opens.
  const tun = { destination: '/dev/conformance-tun', type: 'bind', source: '/dev/net/tun', options: ['bind'] };
  const rule = (allow) => ({ allow, type: 'c', major: 10, minor: 200, access: 'rwm' });
  const open = 'if (exec 3<>/dev/conformance-tun) 2>/dev/null; then echo open; else echo denied; fi';
  const deniedLast = fixture(t, ['sh', '-c', open], (cfg) => {
    cfg.mounts.push(tun);
    cfg.linux.resources.devices = [{ allow: false, access: 'rwm' }, rule(true), rule(false)];
  }).run();
  t.equal(deniedLast.stdout, 'denied\n', `allow then deny: denied ${deniedLast.stderr}`);
  const allowedLast = fixture(t, ['sh', '-c', open], (cfg) => {
    cfg.mounts.push(tun);
    cfg.linux.resources.devices = [{ allow: false, access: 'rwm' }, rule(false), rule(true)];
  }).run();
  t.equal(allowedLast.stdout, 'open\n', `deny then allow: open ${allowedLast.stderr}`);
});

clause('config-linux.md Masked Paths: "maskedPaths" are masked over inside the container so that they cannot be read', async (t) => {
  const c = fixture(t, ['sh', '-c', 'cat /conformance-secret; echo "dir:$(ls -A /conformance-secret-dir)"; echo "keys:$(cat /proc/keys 2>&1 | wc -c)"'], (cfg) => {
    cfg.linux.maskedPaths.push('/conformance-secret', '/conformance-secret-dir');
  });
  fs.writeFileSync(path.join(c.b.rootfs, 'conformance-secret'), 'SECRET\n');
  fs.mkdirSync(path.join(c.b.rootfs, 'conformance-secret-dir'));
  fs.writeFileSync(path.join(c.b.rootfs, 'conformance-secret-dir/file'), 'SECRET\n');
  const r = c.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'dir:\nkeys:0\n', 'a file reads empty, a directory lists empty, /proc/keys reads empty');
});

clause('config-linux.md Masked Paths: the values MUST be absolute paths in the container namespace (a relative one is an error)', async (t) => {
  const c = fixture(t, ['true'], (cfg) => { cfg.linux.maskedPaths.push('proc/kcore'); });
  refused(t, c.create(), 'create', /proc\/kcore/, c);
  t.equal(c.state(), null);
});

clause('config-linux.md Readonly Paths: "readonlyPaths" are made read-only inside the container', async (t) => {
  const c = fixture(t, ['sh', '-c', 'for p in /conformance-ro /conformance-rw; do touch $p/x 2>/dev/null && echo "$p rw" || echo "$p ro"; done; echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo "sys rw" || echo "sys ro"'], (cfg) => {
    cfg.root.readonly = false;
    cfg.linux.readonlyPaths.push('/conformance-ro');
  });
  fs.mkdirSync(path.join(c.b.rootfs, 'conformance-ro'));
  fs.mkdirSync(path.join(c.b.rootfs, 'conformance-rw'));
  const r = c.run();
  t.equal(r.stdout, '/conformance-ro ro\n/conformance-rw rw\nsys ro\n', r.stderr);
});

clause('config-linux.md Readonly Paths: the values MUST be absolute paths in the container namespace (a relative one is an error)', async (t) => {
  const c = fixture(t, ['true'], (cfg) => { cfg.linux.readonlyPaths.push('proc/sys'); });
  refused(t, c.create(), 'create', /proc\/sys/, c);
  t.equal(c.state(), null);
});
