// The cgroup v2 guest's initramfs loads kernel modules dependencies first, from modules.dep.
import t from 'tap';
import { moduleLoadOrder } from '../v2/guest-lib.mjs';

const DEP = [
  'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko',
  'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/net/9p/9pnet.ko:',
  'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
  'kernel/fs/netfs/netfs.ko:',
  'kernel/fs/overlayfs/overlay.ko:',
].join('\n');

t.test('dependencies load before their users, each once', async (t) => {
  const order = moduleLoadOrder(DEP, ['9pnet_virtio', '9p', 'overlay']).map((f) => f.split('/').pop());
  t.same(order, ['virtio_ring.ko', 'virtio.ko', '9pnet.ko', '9pnet_virtio.ko', 'netfs.ko', 'fscache.ko', '9p.ko', 'overlay.ko']);
});

t.test('a module built into the kernel (absent from modules.dep) is skipped', async (t) => {
  t.same(moduleLoadOrder(DEP, ['virtio_pci', 'overlay']), ['kernel/fs/overlayfs/overlay.ko']);
});
