import t from 'tap';
import mi from '../../dist/lib/linux/mount-info.js';

const { parseMountInfo, cgroupHierarchies } = mi;

// A hybrid host with CRIU's cgroup yard left mounted under /tmp: the same hierarchies twice.
const MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '58 54 0:36 / /tmp/cr/.criu.cgyard.X/pids rw,relatime - cgroup none rw,pids',
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  '91 54 0:38 / /tmp/cr/.criu.cgyard.X/unified rw,relatime - cgroup2 none rw',
  '92 54 0:39 / /tmp/other/net_cls rw,relatime - cgroup cgroup rw,net_cls',
].join('\n');

t.test('one entry per hierarchy, the /sys/fs/cgroup mount preferred', async (t) => {
  const hs = cgroupHierarchies(parseMountInfo(MOUNTINFO));
  t.same(hs.map((h) => [h.name, h.mountpoint, h.options]), [
    ['cpu,cpuacct', '/sys/fs/cgroup/cpu,cpuacct', 'cpu,cpuacct'],
    ['pids', '/sys/fs/cgroup/pids', 'pids'],
    ['systemd', '/sys/fs/cgroup/systemd', 'none,name=systemd'],
    ['unified', '/sys/fs/cgroup/unified', ''],
    ['net_cls', '/tmp/other/net_cls', 'net_cls'],
  ]);
  t.same(hs[0].aliases, ['cpu', 'cpuacct']);
});
