import t from 'tap';
import cg from '../../dist/lib/cgroups/index.js';

const { parseSubCgroupFlag, subCgroupTargets } = cg;
const v1 = (controllers, mount) => ({ version: 1, controllers, mountpoint: `/sys/fs/cgroup/${mount}`, root: '/' });
const unified = { version: 2, controllers: [], mountpoint: '/sys/fs/cgroup/unified', root: '/' };
const target = (h) => ({ hierarchy: h, cgPath: '/ocits/c1', dir: `${h.mountpoint}/ocits/c1` });
const HYBRID = [target(v1(['cpu', 'cpuacct'], 'cpu,cpuacct')), target(v1(['pids'], 'pids')), target(unified)];

t.test('parseSubCgroupFlag', async (t) => {
  t.same(parseSubCgroupFlag('sub'), { controllers: null, path: 'sub' });
  t.same(parseSubCgroupFlag('a/b/'), { controllers: null, path: 'a/b' });
  t.same(parseSubCgroupFlag('/a//b'), { controllers: null, path: 'a/b' });
  t.same(parseSubCgroupFlag('cpu,pids:x'), { controllers: ['cpu', 'pids'], path: 'x' });
  t.throws(() => parseSubCgroupFlag('../x'), /^--cgroup \.\.\/x: \.\.\/x is not a sub cgroup path$/);
  t.throws(() => parseSubCgroupFlag('..'), /^--cgroup \.\.: \.\. is not a sub cgroup path$/);
  t.throws(() => parseSubCgroupFlag('pids:..'), /^--cgroup pids:\.\.: \.\. is not a sub cgroup path$/);
  t.throws(() => parseSubCgroupFlag('a/../../x'), /is not a sub cgroup path/);
  t.throws(() => parseSubCgroupFlag('/..'), /is not a sub cgroup path/);
  // As runc: "", "/" and a path that comes back inside name the container's own cgroup or a sub-cgroup.
  t.same(parseSubCgroupFlag(''), { controllers: null, path: '' });
  t.same(parseSubCgroupFlag('/'), { controllers: null, path: '' });
  t.same(parseSubCgroupFlag('pids:'), { controllers: ['pids'], path: '' });
  t.same(parseSubCgroupFlag('a/../b'), { controllers: null, path: 'b' });
  t.throws(() => parseSubCgroupFlag('pids,:x'), /empty controller name/);
});

t.test('subCgroupTargets: every hierarchy, or the named controllers only', async (t) => {
  const dirs = (reqs) => subCgroupTargets(HYBRID, reqs.map(parseSubCgroupFlag)).map((x) => x.dir);
  t.same(dirs([]), HYBRID.map((x) => x.dir), 'no request: the container\'s own');
  t.same(dirs(['s']), ['/sys/fs/cgroup/cpu,cpuacct/ocits/c1/s', '/sys/fs/cgroup/pids/ocits/c1/s', '/sys/fs/cgroup/unified/ocits/c1/s']);
  t.same(dirs(['cpuacct:s']), ['/sys/fs/cgroup/cpu,cpuacct/ocits/c1/s', '/sys/fs/cgroup/pids/ocits/c1', '/sys/fs/cgroup/unified/ocits/c1']);
  t.same(dirs(['a', 'pids:b']), ['/sys/fs/cgroup/cpu,cpuacct/ocits/c1/a', '/sys/fs/cgroup/pids/ocits/c1/b', '/sys/fs/cgroup/unified/ocits/c1/a'], 'the last request for a hierarchy wins');
  t.same(subCgroupTargets(HYBRID, [parseSubCgroupFlag('pids:x/y')])[1].cgPath, '/ocits/c1/x/y');
  t.same(HYBRID[1].dir, '/sys/fs/cgroup/pids/ocits/c1', 'the input is not changed');
  t.throws(() => dirs(['memory:s']), /--cgroup memory:s: the container has no cgroup for controller "memory"/);
  t.throws(() => subCgroupTargets([target(unified)], [parseSubCgroupFlag('pids:s')]), /cgroup v2 has one hierarchy; give the path without a controller/);
  t.same(subCgroupTargets([target(unified)], [parseSubCgroupFlag('s')]).map((x) => x.dir), ['/sys/fs/cgroup/unified/ocits/c1/s']);
});
