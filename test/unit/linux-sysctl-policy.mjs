// Which sysctls a container may set (runc's validate.sysctl): only those of a
// namespace of its own; never a host-wide one such as kernel.core_pattern.
import t from 'tap';
import policy from '../../dist/lib/linux/sysctl-policy.js';

const { sysctlRefusal, sysctlPath } = policy;
const ctx = (types, isHostNetns = () => false) => ({ namespaces: new Map(Object.entries(types)), isHostNetns });
const all = ctx({ ipc: '', network: '', uts: '', user: '', mount: '' });

t.test('host-wide sysctls are refused whatever the namespaces', async (t) => {
  for (const k of ['kernel.core_pattern', 'vm.swappiness', 'fs.file-max', 'kernel.panic', 'kernel/core_pattern']) {
    t.match(sysctlRefusal(k, all), /not in a separate kernel namespace/, k);
  }
  t.match(sysctlRefusal('kernel.hostname', all), /conflicts with the "hostname" field/);
});

t.test('namespaced sysctls need that namespace', async (t) => {
  t.equal(sysctlRefusal('kernel.shmmax', all), null);
  t.equal(sysctlRefusal('fs.mqueue.msg_max', all), null);
  t.match(sysctlRefusal('kernel.shmmax', ctx({ network: '' })), /host's ipc namespace/);
  t.equal(sysctlRefusal('net.ipv4.ip_forward', all), null);
  t.equal(sysctlRefusal('net/ipv4/ip_forward', all), null, '"/" separators');
  t.match(sysctlRefusal('net.ipv4.ip_forward', ctx({ ipc: '' })), /host's network namespace/);
  t.match(sysctlRefusal('net.ipv4.ip_forward', ctx({ network: '/proc/7/ns/net' }, (p) => p === '/proc/7/ns/net')), /host's network namespace \(\/proc\/7\/ns\/net\)/, 'a path to the host netns');
  t.equal(sysctlRefusal('net.ipv4.ip_forward', ctx({ network: '/run/netns/x' })), null, 'a path to another netns');
  t.equal(sysctlRefusal('kernel.domainname', all), null);
  t.match(sysctlRefusal('kernel.domainname', ctx({ ipc: '' })), /not in a separate kernel namespace/);
  t.equal(sysctlRefusal('user.max_user_namespaces', all), null);
  t.match(sysctlRefusal('user.max_user_namespaces', ctx({ ipc: '' })), /host's user namespace/);
});

t.test('traversal and empty components are refused; paths keep dots of "/" keys', async (t) => {
  for (const k of ['net/../kernel/core_pattern', 'net..ipv4', '.net.ipv4', 'net.ipv4.', 'net/./x', '']) {
    t.match(sysctlRefusal(k, all), /not a valid name/, JSON.stringify(k));
  }
  t.equal(sysctlPath('net.ipv4.ip_forward'), '/proc/sys/net/ipv4/ip_forward');
  t.equal(sysctlPath('net/ipv4/conf/eth0.100/forwarding'), '/proc/sys/net/ipv4/conf/eth0.100/forwarding');
});
