import t from 'tap';
import ms from '../../dist/lib/linux/mount-sources.js';
import mp from '../../dist/lib/linux/mount-plan.js';

const opts = { rootfs: '/b/rootfs', userns: true, bundle: '/b' };
const mounts = [
  { destination: '/proc', type: 'proc', source: 'proc' },
  { destination: '/data', type: 'bind', source: '/root/secret', options: ['rbind', 'ro'] },
  { destination: '/etc/hosts', source: 'hosts', options: ['bind'] },
  { destination: '/mapped', type: 'bind', source: '/srv/m', options: ['rbind', 'idmap'] },
  { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' },
];

t.test('in a user namespace every bind but ID-mapped ones is opened by the runtime', async (t) => {
  const ops = mp.planMounts(mounts, opts);
  t.same(ms.planMountSources(ops, true), [{ index: 1, source: '/root/secret' }, { index: 2, source: '/b/hosts' }]);
});

t.test('without a user namespace the init binds by path', async (t) => {
  const ops = mp.planMounts(mounts.filter((m) => !m.options?.includes('idmap')), { ...opts, userns: false });
  t.same(ms.planMountSources(ops, false), []);
});
