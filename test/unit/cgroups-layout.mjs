import t from 'tap';
import cg from '../../dist/lib/cgroups/index.js';
import { mountinfo } from '../fixtures/cgroups/fixture.mjs';

const { detectLayout, parseMountinfo, parseProcCgroup, CgroupError } = cg;

t.test('v1 layout: every v1 mount, co-mounted controllers share one hierarchy', async (t) => {
  const l = detectLayout(mountinfo('v1'));
  t.equal(l.kind, 'v1');
  t.equal(l.unified, undefined);
  t.same(l.v1.map((h) => h.controllers.join(',')), ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'name=systemd']);
  t.equal(l.v1[0].mountpoint, '/sys/fs/cgroup/cpu,cpuacct');
  t.equal(l.v1[0].root, '/');
});

t.test('v2 and hybrid layouts', async (t) => {
  const v2 = detectLayout(mountinfo('v2'));
  t.equal(v2.kind, 'v2');
  t.same(v2.v1, []);
  t.equal(v2.unified.mountpoint, '/sys/fs/cgroup');
  const hy = detectLayout(mountinfo('hybrid'));
  t.equal(hy.kind, 'hybrid');
  t.equal(hy.unified.mountpoint, '/sys/fs/cgroup/unified');
  t.equal(hy.v1.length, 8);
});

t.test('mount points are rebased onto a non-default root', async (t) => {
  const l = detectLayout(mountinfo('hybrid'), '/tmp/fx/');
  t.equal(l.v1.find((h) => h.controllers.includes('memory')).mountpoint, '/tmp/fx/memory');
  t.equal(l.unified.mountpoint, '/tmp/fx/unified');
  const v2 = detectLayout(mountinfo('v2'), '/tmp/fx');
  t.equal(v2.unified.mountpoint, '/tmp/fx');
});

t.test('mounts outside the root, duplicates, escapes and subtree roots', async (t) => {
  const text = [
    '50 1 0:40 / /other/memory rw - cgroup cgroup rw,memory',
    '51 1 0:40 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    '52 1 0:40 / /sys/fs/cgroup/memory2 rw - cgroup cgroup rw,memory',
    '53 1 0:41 / /sys/fs/cgroup/my\\040pids rw - cgroup cgroup rw,pids',
  ].join('\n');
  const l = detectLayout(text);
  t.equal(l.kind, 'v1');
  t.equal(l.v1.length, 2);
  t.equal(l.v1[0].root, '/docker/abc');
  t.equal(l.v1[0].mountpoint, '/sys/fs/cgroup/memory');
  t.equal(l.v1[1].mountpoint, '/sys/fs/cgroup/my pids');
  t.equal(parseMountinfo(text).length, 4);
});

t.test('nothing mounted is an error', async (t) => {
  t.throws(() => detectLayout('24 30 0:22 / /sys rw - sysfs sysfs rw'), CgroupError);
  t.throws(() => detectLayout('50 1 0:40 / /other/memory rw - cgroup cgroup rw,memory'), /no cgroup hierarchy/);
});

t.test('/proc/self/cgroup', async (t) => {
  const e = parseProcCgroup('12:cpu,cpuacct:/a\n4:memory:/process_api/x\n1:name=systemd:/init.scope\n0::/user.slice\n');
  t.same(e[0], { id: 12, controllers: ['cpu', 'cpuacct'], path: '/a' });
  t.same(e[3], { id: 0, controllers: [], path: '/user.slice' });
});

t.test('the real host is detected', async (t) => {
  const l = detectLayout(await import('node:fs').then((fs) => fs.readFileSync('/proc/self/mountinfo', 'utf8')));
  t.ok(['v1', 'v2', 'hybrid'].includes(l.kind));
});
