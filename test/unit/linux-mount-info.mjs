// cgroup hierarchies from mountinfo: a hierarchy mounted a second time (criu's
// cgroup yard, a bind elsewhere) is listed once, so the container gets one
// mount per hierarchy (a second mount of the same one fails with EBUSY).
import t from 'tap';
import info from '../../dist/lib/linux/mount-info.js';

const { parseMountInfo, cgroupHierarchies } = info;

t.test('each hierarchy once, from its first mount', async (t) => {
  const text = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    '58 54 0:36 / /tmp/cr/.criu.cgyard.X/pids rw,relatime - cgroup none rw,pids',
    '59 54 0:37 / /tmp/cr/.criu.cgyard.X/systemd rw,relatime - cgroup none rw,name=systemd',
    '91 54 0:38 / /tmp/cr/.criu.cgyard.X/unified rw,relatime - cgroup2 none rw',
  ].join('\n');
  const h = cgroupHierarchies(parseMountInfo(text));
  t.same(h.map((x) => [x.name, x.mountpoint]), [
    ['cpu', '/sys/fs/cgroup/cpu'], ['pids', '/sys/fs/cgroup/pids'], ['systemd', '/sys/fs/cgroup/systemd'], ['unified', '/sys/fs/cgroup/unified'],
  ]);
});
