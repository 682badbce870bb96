// config.md "Mounts", "Linux mount options" and "POSIX-platform Mounts":
// the container prints its own /proc/self/mountinfo and the host checks it.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { clause, fixture, isRoot, parseMountinfo, tmpDir, refused } from './lib/harness.mjs';

t.ok(isRoot, 'conformance tests run as root');

/** Runs a container that prints its mountinfo after `pre` (shell); returns { r, mounts, at(dest) }. */
function mountsOf(t, edit, pre = '') {
  const c = fixture(t, ['sh', '-c', `${pre}echo ---; cat /proc/self/mountinfo`], edit);
  const r = c.run();
  const [head, info = ''] = r.stdout.split('---\n');
  const mounts = parseMountinfo(info);
  return { c, r, head, mounts, at: (dest) => mounts.filter((m) => m.mountPoint === dest).pop() };
}

/** A host directory holding a file and a tmpfs submount "sub" (for bind/rbind and recursive options). */
function hostTree(t) {
  const dir = tmpDir('ocits-tree-');
  fs.writeFileSync(path.join(dir, 'file'), 'host file\n');
  fs.mkdirSync(path.join(dir, 'sub'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path.join(dir, 'sub')]);
  t.equal(m.status, 0, 'host submount made');
  fs.writeFileSync(path.join(dir, 'sub', 'subfile'), 'sub file\n');
  t.teardown(() => {
    spawnSync('umount', ['-l', path.join(dir, 'sub')]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

clause('config.md Mounts: the runtime MUST mount entries in the listed order', async (t) => {
  const { r, mounts, at } = mountsOf(t, (cfg) => {
    cfg.mounts.push({ destination: '/ord', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    cfg.mounts.push({ destination: '/ord/inner', type: 'tmpfs', source: 'tmpfs', options: ['size=2m'] });
    cfg.mounts.push({ destination: '/ord/inner/deeper', type: 'tmpfs', source: 'tmpfs', options: ['size=3m'] });
  });
  t.equal(r.status, 0, r.stderr);
  const [a, b, c] = ['/ord', '/ord/inner', '/ord/inner/deeper'].map(at);
  t.ok(a && b && c, 'all three are visible (an out-of-order mount would hide the nested ones)');
  t.equal(b?.parent, a?.id, '/ord/inner is mounted on /ord');
  t.equal(c?.parent, b?.id, '/ord/inner/deeper is mounted on /ord/inner');
  const idx = (m) => mounts.indexOf(m);
  t.ok(idx(a) < idx(b) && idx(b) < idx(c), 'mounted in that order');
  const procIdx = mounts.findIndex((m) => m.mountPoint === '/proc');
  t.ok(procIdx >= 0 && procIdx < idx(a), 'after the earlier entries (/proc)');
});

clause('config.md Mounts: a relative "destination" (deprecated) MUST be interpreted as relative to "/"', async (t) => {
  const { r, at } = mountsOf(t, (cfg) => { cfg.mounts.push({ destination: 'relative-dest', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }); });
  t.equal(r.status, 0, r.stderr);
  t.equal(at('/relative-dest')?.fstype, 'tmpfs');
});

clause('config.md Mounts: a bind mount "source" may be relative to the bundle', async (t) => {
  const c = fixture(t, ['cat', '/data/file'], (cfg) => { cfg.mounts.push({ destination: '/data', type: 'none', source: 'hostdata', options: ['bind'] }); });
  fs.mkdirSync(path.join(c.b.dir, 'hostdata'));
  fs.writeFileSync(path.join(c.b.dir, 'hostdata', 'file'), 'bundle relative\n');
  t.equal(c.run().stdout, 'bundle relative\n');
});

clause('config.md Mounts: "type" is the filesystem type (from /proc/filesystems) mounted at destination', async (t) => {
  const { at } = mountsOf(t, (cfg) => { cfg.mounts.push({ destination: '/mq2', type: 'mqueue', source: 'mqueue' }); });
  t.equal(at('/proc')?.fstype, 'proc');
  t.equal(at('/sys')?.fstype, 'sysfs');
  t.equal(at('/mq2')?.fstype, 'mqueue');
});

// Options whose effect shows in mountinfo: [option words, predicate on the mount, what it means].
const FLAG_OPTIONS = {
  async: [['async'], (m) => !m.superOpts.includes('sync'), 'no sync'],
  atime: [['noatime', 'atime'], (m) => !m.opts.includes('noatime'), 'clears noatime'],
  defaults: [['defaults'], (m) => m.opts.includes('rw') && !m.opts.includes('nosuid'), 'rw, suid'],
  dev: [['nodev', 'dev'], (m) => !m.opts.includes('nodev'), 'clears nodev'],
  diratime: [['nodiratime', 'diratime'], (m) => !m.opts.includes('nodiratime'), 'clears nodiratime'],
  dirsync: [['dirsync'], (m) => m.superOpts.includes('dirsync'), 'dirsync'],
  exec: [['noexec', 'exec'], (m) => !m.opts.includes('noexec'), 'clears noexec'],
  iversion: [['iversion'], () => true, 'accepted'],
  lazytime: [['lazytime'], (m) => m.superOpts.includes('lazytime'), 'lazytime'],
  loud: [['silent', 'loud'], () => true, 'accepted'],
  noatime: [['noatime'], (m) => m.opts.includes('noatime'), 'noatime'],
  nodev: [['nodev'], (m) => m.opts.includes('nodev'), 'nodev'],
  nodiratime: [['nodiratime'], (m) => m.opts.includes('nodiratime'), 'nodiratime'],
  noexec: [['noexec'], (m) => m.opts.includes('noexec'), 'noexec'],
  noiversion: [['noiversion'], () => true, 'accepted'],
  nolazytime: [['lazytime', 'nolazytime'], (m) => !m.superOpts.includes('lazytime'), 'clears lazytime'],
  // Clearing MS_RELATIME (the kernel's default mode) is seen only as not undoing another mode.
  norelatime: [['noatime', 'norelatime'], (m) => m.opts.includes('noatime'), 'leaves noatime as it is'],
  nostrictatime: [['strictatime', 'nostrictatime'], (m) => m.opts.includes('relatime'), 'back to the relatime default'],
  nosuid: [['nosuid'], (m) => m.opts.includes('nosuid'), 'nosuid'],
  relatime: [['relatime'], (m) => m.opts.includes('relatime'), 'relatime'],
  ro: [['ro'], (m) => m.opts.includes('ro'), 'ro'],
  rw: [['ro', 'rw'], (m) => m.opts.includes('rw'), 'rw'],
  silent: [['silent'], () => true, 'accepted'],
  strictatime: [['strictatime'], (m) => !m.opts.includes('relatime') && !m.opts.includes('noatime'), 'neither relatime nor noatime'],
  suid: [['nosuid', 'suid'], (m) => !m.opts.includes('nosuid'), 'clears nosuid'],
  sync: [['sync'], (m) => m.superOpts.includes('sync'), 'sync'],
};

clause('config.md Linux mount options: runtimes MUST implement the filesystem-independent option strings (async ... sync)', async (t) => {
  const { r, at } = mountsOf(t, (cfg) => {
    for (const [name, [opts]] of Object.entries(FLAG_OPTIONS)) cfg.mounts.push({ destination: `/o/${name}`, type: 'tmpfs', source: 'tmpfs', options: [...opts, 'size=1m'] });
  });
  t.equal(r.status, 0, r.stderr);
  for (const [name, [, pred, what]] of Object.entries(FLAG_OPTIONS)) {
    const m = at(`/o/${name}`);
    t.ok(m && pred(m), `${name}: ${what} (${m ? `${m.opts} - ${m.superOpts}` : 'not mounted'})`);
  }
});

clause('config.md Linux mount options: runtimes MUST implement "bind" (non-recursive) and "rbind" (recursive) bind mounts', async (t) => {
  const dir = hostTree(t);
  const { r, head } = mountsOf(t, (cfg) => {
    cfg.mounts.push({ destination: '/b', type: 'none', source: dir, options: ['bind'] });
    cfg.mounts.push({ destination: '/rb', type: 'none', source: dir, options: ['rbind'] });
  }, 'cat /b/file /rb/file /rb/sub/subfile; ls /b/sub | wc -l; ');
  t.equal(r.status, 0, r.stderr);
  t.equal(head, 'host file\nhost file\nsub file\n0\n', 'bind shows the directory, rbind its submounts too');
});

clause('config.md Linux mount options: runtimes MUST implement the propagation options (private, rprivate, shared, rshared, slave, rslave, unbindable, runbindable)', async (t) => {
  const dir = hostTree(t);
  const want = {
    private: (m) => !m.optional.some((o) => /^(shared|master|unbindable)/.test(o)),
    rprivate: (m) => !m.optional.some((o) => /^(shared|master|unbindable)/.test(o)),
    shared: (m) => m.optional.some((o) => o.startsWith('shared:')),
    rshared: (m) => m.optional.some((o) => o.startsWith('shared:')),
    slave: (m) => !m.optional.some((o) => o.startsWith('shared:')),
    rslave: (m) => !m.optional.some((o) => o.startsWith('shared:')),
    unbindable: (m) => m.optional.includes('unbindable'),
    runbindable: (m) => m.optional.includes('unbindable'),
  };
  const { r, at } = mountsOf(t, (cfg) => {
    for (const p of Object.keys(want)) cfg.mounts.push({ destination: `/p/${p}`, type: 'none', source: dir, options: ['rbind', p] });
  });
  t.equal(r.status, 0, r.stderr);
  for (const [p, pred] of Object.entries(want)) {
    const top = at(`/p/${p}`), sub = at(`/p/${p}/sub`);
    t.ok(top && pred(top), `${p} applies to the mount (${top?.optional})`);
    if (p.startsWith('r')) t.ok(sub && pred(sub), `${p} applies to its submounts (${sub?.optional})`);
  }
});

clause('config.md Linux mount options: runtimes MUST implement "remount"', async (t) => {
  const { r, at } = mountsOf(t, (cfg) => {
    cfg.mounts.push({ destination: '/re', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    cfg.mounts.push({ destination: '/re', type: 'tmpfs', source: 'tmpfs', options: ['remount', 'ro', 'size=2m'] });
  });
  t.equal(r.status, 0, r.stderr);
  const m = at('/re');
  t.ok(m?.opts.includes('ro'), `remounted read-only (${m?.opts})`);
  t.ok(m?.superOpts.includes('size=2048k'), `with the new size (${m?.superOpts})`);
});

clause('config.md Linux mount options: runtimes SHOULD implement "nosymfollow" and "symfollow"', async (t) => {
  const { r, at } = mountsOf(t, (cfg) => {
    cfg.mounts.push({ destination: '/nsf', type: 'tmpfs', source: 'tmpfs', options: ['nosymfollow', 'size=1m'] });
    cfg.mounts.push({ destination: '/sf', type: 'tmpfs', source: 'tmpfs', options: ['nosymfollow', 'symfollow', 'size=1m'] });
  });
  t.equal(r.status, 0, r.stderr);
  t.ok(at('/nsf')?.opts.includes('nosymfollow'), 'nosymfollow');
  t.notOk(at('/sf')?.opts.includes('nosymfollow'), 'symfollow clears it');
});


// Recursive (AT_RECURSIVE) options: [option, predicate on the submount].
const RECURSIVE = {
  rro: (m) => m.opts.includes('ro'),
  rrw: (m) => m.opts.includes('rw'),
  rnosuid: (m) => m.opts.includes('nosuid'),
  rsuid: (m) => !m.opts.includes('nosuid'),
  rnodev: (m) => m.opts.includes('nodev'),
  rdev: (m) => !m.opts.includes('nodev'),
  rnoexec: (m) => m.opts.includes('noexec'),
  rexec: (m) => !m.opts.includes('noexec'),
  rnoatime: (m) => m.opts.includes('noatime'),
  ratime: (m) => !m.opts.includes('noatime'),
  rnodiratime: (m) => m.opts.includes('nodiratime'),
  rdiratime: (m) => !m.opts.includes('nodiratime'),
  rrelatime: (m) => m.opts.includes('relatime'),
  // MOUNT_ATTR_RELATIME is 0: clearing it must not undo another mode (options below add rstrictatime first).
  rnorelatime: (m) => !m.opts.includes('relatime') && !m.opts.includes('noatime'),
  rstrictatime: (m) => !m.opts.includes('relatime') && !m.opts.includes('noatime'),
  rnostrictatime: (m) => m.opts.includes('relatime'),
  rnosymfollow: (m) => m.opts.includes('nosymfollow'),
  rsymfollow: (m) => !m.opts.includes('nosymfollow'),
};

clause('config.md Linux mount options: runtimes SHOULD implement the recursive options (rro, rnosuid, rnodev, rnoexec, ... rsymfollow), applied to submounts too', async (t) => {
  const dir = hostTree(t);
  for (const [o, pred] of Object.entries(RECURSIVE)) {
    const opts = o === 'rnorelatime' ? ['rbind', 'rstrictatime', o] : ['rbind', o];
    const { r, at } = mountsOf(t, (cfg) => { cfg.mounts.push({ destination: '/r', type: 'none', source: dir, options: opts }); });
    const sub = at('/r/sub');
    t.ok(r.status === 0 && sub && pred(sub), `${o} on the submount (${sub ? sub.opts : r.stderr.trim()})`);
  }
});

clause('config.md Linux mount options: runtimes SHOULD pass unknown options as filesystem-specific data to mount(2)', async (t) => {
  const { r, at } = mountsOf(t, (cfg) => { cfg.mounts.push({ destination: '/fsdata', type: 'tmpfs', source: 'tmpfs', options: ['size=3m', 'mode=0711', 'nr_inodes=1234'] }); });
  t.equal(r.status, 0, r.stderr);
  const so = at('/fsdata')?.superOpts ?? [];
  t.ok(so.includes('size=3072k') && so.includes('mode=711') && so.includes('nr_inodes=1234'), `${so}`);
});

clause('config.md Linux mount options: "idmap" without uidMappings/gidMappings in a container without a user namespace MUST return an error', async (t) => {
  const dir = hostTree(t);
  const c = fixture(t, ['true'], (cfg) => { cfg.mounts.push({ destination: '/idm', type: 'none', source: dir, options: ['bind', 'idmap'] }); });
  refused(t, c.create(), 'create', /idmap/, c);
  t.equal(c.state(), null);
});

clause('config.md Linux mount options: runtimes SHOULD implement "idmap": the mount MUST have an idmapping applied (uidMappings/gidMappings)', async (t) => {
  const dir = hostTree(t);
  fs.chownSync(path.join(dir, 'file'), 1000, 1000);
  // Written to the mapping's user namespace as is: source uid 1000 shows as 0 through the mount.
  const map = [{ containerID: 1000, hostID: 0, size: 1 }];
  const { r, at, head } = mountsOf(t, (cfg) => {
    cfg.mounts.push({ destination: '/idm', type: 'none', source: dir, options: ['rbind', 'idmap'], uidMappings: map, gidMappings: map });
  }, 'stat -c "%u %g" /idm/file; ');
  t.equal(r.status, 0, r.stderr);
  t.ok(at('/idm')?.opts.includes('idmapped'), `the mount is idmapped (${at('/idm')?.opts})`);
  t.equal(head, '0 0\n', 'ownership seen through the mapping');
  const sub = at('/idm/sub');
  t.ok(sub && !sub.opts.includes('idmapped'), `idmap (not ridmap): the submount is there, not mapped (${sub?.opts})`);
});

clause('config.md Linux mount options: runtimes SHOULD implement "ridmap": the idmapping MUST be applied recursively', async (t) => {
  const dir = hostTree(t);
  fs.chownSync(path.join(dir, 'sub', 'subfile'), 1000, 1000);
  const map = [{ containerID: 1000, hostID: 0, size: 1 }];
  const { r, at, head } = mountsOf(t, (cfg) => {
    cfg.mounts.push({ destination: '/ridm', type: 'none', source: dir, options: ['rbind', 'ridmap'], uidMappings: map, gidMappings: map });
  }, 'stat -c "%u %g" /ridm/sub/subfile; ');
  t.equal(r.status, 0, r.stderr);
  t.ok(at('/ridm')?.opts.includes('idmapped'), `the mount is idmapped (${at('/ridm')?.opts})`);
  t.ok(at('/ridm/sub')?.opts.includes('idmapped'), `so is its submount (${at('/ridm/sub')?.opts})`);
  t.equal(head, '0 0\n', 'ownership on the submount seen through the mapping');
});
