import t from 'tap';
import mo from '../../dist/lib/linux/mount-options.js';

const { parseMountOptions: p, MOUNT_OPTION_WORDS, MOUNT_OPTION_TABLE, mountOptionWordsOfKind, describeMountFlags } = mo;

t.test('constants', async (t) => {
  t.equal(mo.MS_RDONLY, 1);
  t.equal(mo.MS_NOSUID, 2);
  t.equal(mo.MS_NODEV, 4);
  t.equal(mo.MS_NOEXEC, 8);
  t.equal(mo.MS_REMOUNT, 32);
  t.equal(mo.MS_NOSYMFOLLOW, 256);
  t.equal(mo.MS_BIND, 4096);
  t.equal(mo.MS_REC, 16384);
  t.equal(mo.MS_PRIVATE, 262144);
  t.equal(mo.MS_SLAVE, 524288);
  t.equal(mo.MS_SHARED, 1048576);
  t.equal(mo.MS_UNBINDABLE, 131072);
  t.equal(mo.MS_RELATIME, 2097152);
  t.equal(mo.MS_STRICTATIME, 16777216);
  t.equal(mo.MOUNT_ATTR_IDMAP, 0x100000);
  t.equal(mo.MOUNT_ATTR__ATIME, 0x70);
});

t.test('flag words', async (t) => {
  t.same(p(['nosuid', 'noexec', 'nodev']), { flags: 14, clearedFlags: 0, propagation: [], recAttrSet: 0, recAttrClr: 0, data: '' });
  t.equal(p(['ro']).flags, 1);
  t.equal(p(['ro', 'rw']).flags, 0);
  t.equal(p(['ro', 'rw']).clearedFlags, 1);
  t.equal(p(['rw', 'ro']).clearedFlags, 0);
  t.equal(p(['rbind', 'ro']).flags, 4096 | 16384 | 1);
  t.equal(p(['bind']).flags, 4096);
  t.equal(p(['noatime', 'atime']).flags, 0);
  t.equal(p(['relatime', 'strictatime', 'nodiratime', 'sync', 'dirsync', 'mand']).flags, (1 << 21) | (1 << 24) | 2048 | 16 | 128 | 64);
  t.equal(p(['remount', 'nosymfollow']).flags, 32 | 256);
  t.equal(p(['suid', 'dev', 'exec']).clearedFlags, 2 | 4 | 8);
  t.equal(p(['defaults']).flags, 0);
});

t.test('data passthrough', async (t) => {
  const r = p(['nosuid', 'mode=755', 'size=65536k', 'strictatime', 'newinstance', 'ptmxmode=0666']);
  t.equal(r.flags, 2 | (1 << 24));
  t.equal(r.data, 'mode=755,size=65536k,newinstance,ptmxmode=0666');
  t.equal(p(['lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w']).data, 'lowerdir=/a:/b,upperdir=/u,workdir=/w');
  t.equal(p(['', 'x']).data, 'x');
  t.equal(p(undefined).data, '');
  t.equal(p(['toString']).data, 'toString');
});

t.test('propagation words keep order', async (t) => {
  t.same(p(['rprivate']).propagation, [(1 << 18) | 16384]);
  t.same(p(['shared', 'rslave', 'runbindable', 'private']).propagation, [1 << 20, (1 << 19) | 16384, (1 << 17) | 16384, 1 << 18]);
  t.equal(p(['rshared']).flags, 0, 'propagation never enters flags');
});

t.test('recursive attrs', async (t) => {
  const r = p(['rro', 'rnosuid', 'rnodev', 'rnoexec']);
  t.equal(r.recAttrSet, 0xf);
  t.equal(r.recAttrClr, 0);
  t.equal(r.flags, 0);
  const w = p(['rro', 'rrw']);
  t.equal(w.recAttrSet, 0);
  t.equal(w.recAttrClr, 1);
  const a = p(['rnoatime']);
  t.equal(a.recAttrSet, 0x10);
  t.equal(a.recAttrClr, 0x70);
  const s = p(['rnoatime', 'rstrictatime']);
  t.equal(s.recAttrSet, 0x20);
  t.equal(s.recAttrClr, 0x70);
  const rel = p(['rnoatime', 'rrelatime']);
  t.equal(rel.recAttrSet, 0);
  t.equal(rel.recAttrClr, 0x70);
  t.equal(p(['rnodiratime']).recAttrSet, 0x80);
  t.equal(p(['rnodiratime']).recAttrClr, 0);
  t.equal(p(['rnosymfollow']).recAttrSet, 0x200000);
  t.equal(p(['rexec']).recAttrClr, 8);
});

t.test('extensions', async (t) => {
  t.equal(p(['bind', 'idmap']).idmap, true);
  t.equal(p(['bind', 'idmap']).idmapRecursive, undefined);
  t.equal(p(['rbind', 'ridmap']).idmapRecursive, true);
  t.equal(p(['mode=1777', 'tmpcopyup']).tmpcopyup, true);
  t.equal(p(['idmap']).data, '');
  t.equal(p(['ro']).idmap, undefined);
});

t.test('word lists', async (t) => {
  for (const w of ['ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'sync', 'async', 'dirsync', 'remount', 'mand', 'nomand',
    'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime', 'nostrictatime', 'bind', 'rbind',
    'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
    'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnoatime', 'ratime', 'rrelatime', 'rnorelatime',
    'rstrictatime', 'rnostrictatime', 'rnodiratime', 'rdiratime', 'idmap', 'ridmap', 'nosymfollow', 'rnosymfollow']) {
    t.ok(MOUNT_OPTION_WORDS.includes(w), w);
  }
  t.same([...MOUNT_OPTION_WORDS], [...MOUNT_OPTION_WORDS].sort());
  t.same(mountOptionWordsOfKind('propagation'), ['private', 'rprivate', 'rshared', 'rslave', 'runbindable', 'shared', 'slave', 'unbindable']);
  t.same(mountOptionWordsOfKind('extension'), ['idmap', 'ridmap', 'tmpcopyup']);
  t.same(MOUNT_OPTION_TABLE.rbind, { kind: 'flag', clear: false, flag: 4096 | 16384 });
  t.same(describeMountFlags(4096 | 16384 | 1), ['MS_RDONLY', 'MS_BIND', 'MS_REC']);
});
