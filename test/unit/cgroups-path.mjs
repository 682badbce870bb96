import t from 'tap';
import cg from '../../dist/lib/cgroups/index.js';

const { parseCgroupsPath, resolveIn, expandSlice, CgroupError } = cg;

const errField = (t, fn, re) => {
  try {
    fn();
    t.fail('expected a CgroupError');
  } catch (e) {
    t.ok(e instanceof CgroupError, 'a CgroupError');
    t.match(e.message, /^linux\.cgroupsPath: /);
    if (re) t.match(e.message, re);
  }
};

t.test('default, absolute and cleaned paths', async (t) => {
  // As runc: without cgroupsPath, the id under the runtime's own cgroup.
  t.same(parseCgroupsPath(undefined, 'abc'), { path: 'abc', relative: true });
  t.same(parseCgroupsPath('', 'abc'), { path: 'abc', relative: true });
  t.equal(resolveIn(parseCgroupsPath(undefined, 'abc'), '/process_api/1'), '/process_api/1/abc');
  t.same(parseCgroupsPath('/a//b/./c/../d/', 'x'), { path: '/a/b/d', relative: false });
  t.equal(resolveIn(parseCgroupsPath('/a/b', 'x'), '/own'), '/a/b');
});

t.test('relative paths go under the runtime\'s own cgroup', async (t) => {
  const s = parseCgroupsPath('pod1/ctr', 'x');
  t.equal(s.relative, true);
  t.equal(resolveIn(s, '/process_api/123'), '/process_api/123/pod1/ctr');
  t.equal(resolveIn(s, '/'), '/pod1/ctr');
  t.equal(resolveIn(parseCgroupsPath('../sib', 'x'), '/a/b'), '/a/sib');
});

t.test('escaping the hierarchy is an error naming linux.cgroupsPath', async (t) => {
  errField(t, () => parseCgroupsPath('/../..', 'x'), /escapes/);
  errField(t, () => parseCgroupsPath('/a/../../b', 'x'), /escapes/);
  errField(t, () => resolveIn(parseCgroupsPath('../../..', 'x'), '/a/b'), /escapes/);
  errField(t, () => parseCgroupsPath('/', 'x'), /root cgroup/);
  errField(t, () => resolveIn(parseCgroupsPath('..', 'x'), '/a'), /root cgroup/);
});

t.test('systemd slice:prefix:name', async (t) => {
  const p = (s) => parseCgroupsPath(s, 'abc', true).path;
  t.equal(p('system.slice:ocits:abc'), '/system.slice/ocits-abc.scope');
  t.equal(p(undefined), '/system.slice/ocits-abc.scope');
  t.equal(p(':ocits:abc'), '/system.slice/ocits-abc.scope');
  t.equal(p('a-b.slice:pre:n'), '/a.slice/a-b.slice/pre-n.scope');
  t.equal(p('user-1000-x.slice::n'), '/user.slice/user-1000.slice/user-1000-x.slice/n.scope');
  t.equal(p('-.slice:p:n'), '/p-n.scope');
  t.equal(p('a.slice:p:a-b.slice'), '/a.slice/a-b.slice');
  t.equal(expandSlice('a-b.slice'), '/a.slice/a-b.slice');
  errField(t, () => p('a:b'), /slice:prefix:name/);
  errField(t, () => p('a.slice/b.slice:p:n'), /must not contain/);
  errField(t, () => p('a--b.slice:p:n'), /empty component/);
  errField(t, () => p('nota:p:n'), /\.slice/);
  errField(t, () => p('a.slice:p:'), /name part/);
  // Without the systemd flag the same text is just a relative path.
  t.equal(parseCgroupsPath('system.slice:ocits:abc', 'abc').relative, true);
});
