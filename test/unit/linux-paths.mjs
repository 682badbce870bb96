import t from 'tap';
import paths from '../../dist/lib/linux/paths.js';

const { cleanPath, isSubpath, joinInRoot, containerPathOf, securePathInRoot, securePathInContainer, MAX_SYMLINKS } = paths;

// Fake filesystem: map of host path → symlink target (string) or true (exists, not a link).
function fakeFs(entries) {
  const calls = [];
  const lstat = (p) => {
    calls.push(p);
    if (!Object.prototype.hasOwnProperty.call(entries, p)) return null;
    const v = entries[p];
    return typeof v === 'string' ? { isSymlink: true, target: v } : { isSymlink: false };
  };
  lstat.calls = calls;
  return lstat;
}

t.test('cleanPath (Go path.Clean)', async (t) => {
  const cases = [
    ['', '.'], ['.', '.'], ['/', '/'], ['//', '/'], ['/a/b/', '/a/b'], ['a//b', 'a/b'], ['/a/./b', '/a/b'],
    ['/a/../b', '/b'], ['/../a', '/a'], ['/..', '/'], ['../a', '../a'], ['a/../..', '..'], ['a/b/../../../c', '../c'],
    ['./a', 'a'], ['/a/b/c/../../d', '/a/d'], ['abc/./../def', 'def'], ['../../x/..', '../..'],
  ];
  for (const [i, o] of cases) t.equal(cleanPath(i), o, JSON.stringify(i));
});

t.test('isSubpath / joinInRoot / containerPathOf', async (t) => {
  t.ok(isSubpath('/a', '/a'));
  t.ok(isSubpath('/a', '/a/b'));
  t.ok(isSubpath('/a/', '/a//b/'));
  t.notOk(isSubpath('/a', '/ab'));
  t.notOk(isSubpath('/a/b', '/a'));
  t.notOk(isSubpath('/a', '/a/../b'));
  t.ok(isSubpath('/', '/anything'));
  t.notOk(isSubpath('/', 'relative'));
  t.equal(joinInRoot('/r', '/etc/../../../etc/passwd'), '/r/etc/passwd');
  t.equal(joinInRoot('/r/', 'etc'), '/r/etc');
  t.equal(joinInRoot('/r', '/'), '/r');
  t.equal(joinInRoot('/', '/x'), '/x');
  t.equal(containerPathOf('/r', '/r/etc/x'), '/etc/x');
  t.equal(containerPathOf('/r', '/r'), '/');
  t.equal(containerPathOf('/r', '/rr/x'), null);
});

t.test('securePathInRoot: plain paths and missing components', async (t) => {
  const fs = fakeFs({ '/r/etc': true, '/r/etc/passwd': true });
  t.equal(securePathInRoot('/r', '/etc/passwd', fs), '/r/etc/passwd');
  t.equal(securePathInRoot('/r', 'etc/passwd', fs), '/r/etc/passwd');
  t.equal(securePathInRoot('/r', '/', fs), '/r');
  t.equal(securePathInRoot('/r', '', fs), '/r');
  t.equal(securePathInRoot('/r/', '//etc//./new/dir/', fs), '/r/etc/new/dir');
  t.equal(securePathInRoot('/r', '/missing/../etc', fs), '/r/etc');
  t.equal(securePathInRoot('/', '/etc/passwd', fs), '/etc/passwd');
});

t.test('securePathInRoot: .. escapes stay in the root', async (t) => {
  const fs = fakeFs({ '/r/a': true });
  t.equal(securePathInRoot('/r', '../../etc', fs), '/r/etc');
  t.equal(securePathInRoot('/r', '/a/../../../../etc/shadow', fs), '/r/etc/shadow');
  t.equal(securePathInRoot('/r', '..', fs), '/r');
});

t.test('securePathInRoot: symlinks', async (t) => {
  const fs = fakeFs({
    '/r/abs': '/etc', // absolute link → rootfs/etc, not host /etc
    '/r/rel': '../../../../etc', // relative link climbing out
    '/r/etc': true,
    '/r/usr': true,
    '/r/usr/lib': true,
    '/r/lib': 'usr/lib',
    '/r/usr/lib/x': '../share/x',
    '/r/chain1': 'chain2',
    '/r/chain2': '/usr/./lib/',
    '/r/dot': '.',
    '/r/empty': '',
  });
  t.equal(securePathInRoot('/r', '/abs/passwd', fs), '/r/etc/passwd');
  t.equal(securePathInRoot('/r', '/abs', fs), '/r/etc');
  t.equal(securePathInRoot('/r', '/rel/passwd', fs), '/r/etc/passwd');
  t.equal(securePathInRoot('/r', '/lib/x', fs), '/r/usr/share/x');
  t.equal(securePathInRoot('/r', '/chain1/libc.so', fs), '/r/usr/lib/libc.so');
  t.equal(securePathInRoot('/r', '/dot/dot/etc', fs), '/r/etc');
  t.equal(securePathInRoot('/r', '/empty/etc', fs), '/r/etc');
  t.equal(securePathInContainer('/r', '/lib/x', fs), '/usr/share/x');
  t.equal(securePathInContainer('/r', '/abs/../../..', fs), '/');
});

t.test('securePathInRoot: lstat sees host paths inside the root only', async (t) => {
  const fs = fakeFs({ '/r/abs': '/etc' });
  securePathInRoot('/r', '/abs/../../x', fs);
  t.ok(fs.calls.every((c) => c.startsWith('/r/')), fs.calls.join(' '));
});

t.test('securePathInRoot: loops', async (t) => {
  const self = fakeFs({ '/r/loop': 'loop' });
  t.throws(() => securePathInRoot('/r', '/loop/x', self), { message: '/loop/x: too many levels of symbolic links', code: 'ELOOP' });
  const pair = fakeFs({ '/r/a': '/b', '/r/b': '/a' });
  t.throws(() => securePathInRoot('/r', '/a', pair), { message: /too many levels of symbolic links/ });
  // exactly MAX_SYMLINKS links is fine, one more is not
  const chain = (n) => {
    const e = { '/r/end': true };
    for (let i = 0; i < n; i++) e[`/r/l${i}`] = i === n - 1 ? '/end' : `l${i + 1}`;
    return fakeFs(e);
  };
  t.equal(MAX_SYMLINKS, 255);
  t.equal(securePathInRoot('/r', '/l0', chain(255)), '/r/end');
  t.throws(() => securePathInRoot('/r', '/l0', chain(256)), { message: /too many levels/ });
});
