import t from 'tap';
import rp from '../../dist/lib/linux/root-propagation.js';
import mi from '../../dist/lib/linux/mount-info.js';
import mo from '../../dist/lib/linux/mount-options.js';

const { planRootPropagation, mountHolding, mountsToPrivatize } = rp;
const { MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, MS_REC } = mo;

t.test('rootfsPropagation: before (whole namespace) and after pivot_root (the container\'s "/")', async (t) => {
  t.same(planRootPropagation(undefined), { before: MS_SLAVE | MS_REC, after: null }, 'default: rslave, nothing after');
  t.same(planRootPropagation('shared'), { before: MS_SHARED, after: MS_SHARED });
  t.same(planRootPropagation('rshared'), { before: MS_SHARED | MS_REC, after: MS_SHARED | MS_REC });
  t.same(planRootPropagation('slave'), { before: MS_SLAVE, after: null });
  t.same(planRootPropagation('rslave'), { before: MS_SLAVE | MS_REC, after: null });
  t.same(planRootPropagation('private'), { before: MS_PRIVATE, after: null });
  t.same(planRootPropagation('rprivate'), { before: MS_PRIVATE | MS_REC, after: null });
  t.same(planRootPropagation('unbindable'), { before: MS_SLAVE | MS_REC, after: MS_UNBINDABLE }, 'an unbindable / would refuse the rootfs bind: only at the end');
  t.same(planRootPropagation('runbindable'), { before: MS_SLAVE | MS_REC, after: MS_UNBINDABLE | MS_REC });
  t.throws(() => planRootPropagation('bogus'), /linux\.rootfsPropagation: unknown propagation "bogus"/);
});

const MOUNTINFO = [
  '27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '40 27 0:40 / /var/lib rw,relatime - ext4 /dev/vdb rw',
  '41 40 0:41 / /var/lib/ctr/rootfs rw,relatime shared:7 master:3 - overlay overlay rw',
  '42 27 0:42 / /var rw - tmpfs tmpfs rw',
  '43 27 0:43 / /srv\\040x rw shared:9 - tmpfs tmpfs rw',
].join('\n') + '\n';

t.test('mountinfo optional fields', async (t) => {
  const e = mi.parseMountInfo(MOUNTINFO);
  t.same(e.map((x) => x.optional), [['shared:1'], [], ['shared:7', 'master:3'], [], ['shared:9']]);
  t.equal(e[4].mountpoint, '/srv x');
});

t.test('the mount holding a path', async (t) => {
  const e = mi.parseMountInfo(MOUNTINFO);
  t.equal(mountHolding(e, '/tmp/b/rootfs').mountpoint, '/');
  t.equal(mountHolding(e, '/var/lib/ctr/rootfs').mountpoint, '/var/lib/ctr/rootfs', 'a mount point holds itself');
  t.equal(mountHolding(e, '/var/lib/ctr/rootfsx').mountpoint, '/var/lib', 'prefix by path component');
  t.equal(mountHolding(e, '/srv x/r').mountpoint, '/srv x');
});

t.test('what pivot_root needs private: the shared mount holding the rootfs, and a shared /', async (t) => {
  const e = mi.parseMountInfo(MOUNTINFO);
  t.same(mountsToPrivatize(e, '/tmp/b/rootfs'), ['/']);
  t.same(mountsToPrivatize(e, '/var/lib/ctr/rootfs'), ['/var/lib/ctr/rootfs', '/']);
  t.same(mountsToPrivatize(e, '/var/lib/x'), ['/'], '/var/lib is not shared');
  const priv = mi.parseMountInfo('27 1 254:0 / / rw - ext4 /dev/vda rw\n50 27 0:5 / /x rw master:2 - tmpfs t rw\n');
  t.same(mountsToPrivatize(priv, '/x/rootfs'), [], 'slaves and private mounts stay as they are (runc)');
});
