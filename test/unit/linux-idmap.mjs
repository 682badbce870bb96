import t from 'tap';
import idmap from '../../dist/lib/linux/idmap.js';
import mp from '../../dist/lib/linux/mount-plan.js';
import mo from '../../dist/lib/linux/mount-options.js';

const { planIdmapRequests, mappingLines, clonePropagation, MAX_MAP_LINES } = idmap;
const { planMounts } = mp;
const { MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE } = mo;

const map = (containerID, hostID, size) => ({ containerID, hostID, size });
const ops = (mounts, userns = true) => planMounts(mounts, { rootfs: '/b/rootfs', userns, bundle: '/b' });
const none = { mode: 'none', uidMappings: [], gidMappings: [] };
const fresh = { mode: 'new', uidMappings: [map(0, 100000, 65536)], gidMappings: [map(0, 200000, 65536)] };

t.test('mappingLines: written as is, "containerID hostID size" per line', async (t) => {
  t.equal(mappingLines([map(1000, 0, 1), map(0, 100000, 1000)], '/x'), '1000 0 1\n0 100000 1000\n');
  t.throws(() => mappingLines([], '/mounts/3/uidMappings'), { message: '/mounts/3/uidMappings: no mappings' });
  const many = Array.from({ length: MAX_MAP_LINES + 1 }, (_, i) => map(i, i, 1));
  t.throws(() => mappingLines(many, '/mounts/0/gidMappings'), { message: /^\/mounts\/0\/gidMappings: 341 mappings, the kernel takes at most 340$/ });
});

t.test('only ID-mapped bind mounts become requests', async (t) => {
  const reqs = planIdmapRequests(ops([
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/plain', type: 'bind', source: '/src', options: ['rbind'] },
    { destination: '/a', type: 'bind', source: '/srca', options: ['bind', 'idmap'], uidMappings: [map(1000, 0, 1)], gidMappings: [map(1000, 0, 1)] },
    { destination: '/b', type: 'bind', source: 'rel', options: ['rbind', 'ridmap'], uidMappings: [map(0, 1000, 10)], gidMappings: [map(0, 2000, 10)] },
  ], false), none);
  t.same(reqs, [
    { index: 2, destination: '/a', source: '/srca', cloneRecursive: false, idmapRecursive: false, propagation: MS_SLAVE,
      userns: { kind: 'maps', uidMap: '1000 0 1\n', gidMap: '1000 0 1\n', uidWhere: '/mounts/2/uidMappings', gidWhere: '/mounts/2/gidMappings' } },
    { index: 3, destination: '/b', source: '/b/rel', cloneRecursive: true, idmapRecursive: true, propagation: MS_SLAVE,
      userns: { kind: 'maps', uidMap: '0 1000 10\n', gidMap: '0 2000 10\n', uidWhere: '/mounts/3/uidMappings', gidWhere: '/mounts/3/gidMappings' } },
  ]);
  t.same(planIdmapRequests(ops([{ destination: '/plain', type: 'bind', source: '/src' }]), fresh), []);
});

t.test('rbind + idmap clones the tree but maps only its top; bind + ridmap maps the one mount', async (t) => {
  const [a, b] = planIdmapRequests(ops([
    { destination: '/a', type: 'bind', source: '/a', options: ['rbind', 'idmap'] },
    { destination: '/b', type: 'bind', source: '/b', options: ['bind', 'ridmap'] },
  ]), fresh);
  t.same([a.cloneRecursive, a.idmapRecursive], [true, false]);
  t.same([b.cloneRecursive, b.idmapRecursive], [false, true]);
});

t.test('without mappings of its own: the container user namespace mappings', async (t) => {
  const mounts = [{ destination: '/a', type: 'bind', source: '/a', options: ['bind', 'idmap'] }];
  const [r] = planIdmapRequests(ops(mounts), fresh);
  t.same(r.userns, {
    kind: 'maps', uidMap: '0 100000 65536\n', gidMap: '0 200000 65536\n', uidWhere: '/linux/uidMappings', gidWhere: '/linux/gidMappings',
  });
  const [j] = planIdmapRequests(ops(mounts), { mode: 'join', path: '/proc/42/ns/user', uidMappings: [], gidMappings: [] });
  t.same(j.userns, { kind: 'path', path: '/proc/42/ns/user' }, 'a joined user namespace is used as it is');
  t.throws(() => planIdmapRequests(ops(mounts), none), { message: /^\/mounts\/0\/options: idmap\/ridmap without uidMappings\/gidMappings needs/ });
  const own = [{ ...mounts[0], uidMappings: [map(5, 6, 7)], gidMappings: [map(8, 9, 10)] }];
  t.same(planIdmapRequests(ops(own), fresh)[0].userns.uidMap, '5 6 7\n', "the mount's own mappings win");
});

t.test('clone propagation follows linux.rootfsPropagation', async (t) => {
  t.equal(clonePropagation(undefined), MS_SLAVE, 'default rslave');
  t.equal(clonePropagation('rslave'), MS_SLAVE);
  t.equal(clonePropagation('private'), MS_PRIVATE);
  t.equal(clonePropagation('rprivate'), MS_PRIVATE);
  t.equal(clonePropagation('runbindable'), MS_UNBINDABLE);
  t.equal(clonePropagation('rshared'), 0, 'shared: the clone stays a peer of its source');
  const [r] = planIdmapRequests(ops([{ destination: '/a', type: 'bind', source: '/a', options: ['bind', 'idmap'] }]), fresh, 'rprivate');
  t.equal(r.propagation, MS_PRIVATE);
});
