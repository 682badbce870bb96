// Where proc/sysfs may be mounted, what may be mounted at or under /proc, and
// which LSM labels are refused: the pure checks behind CVE-2019-16884,
// CVE-2019-19921, CVE-2023-27561/28642 and the fail-closed label rule.
import t from 'tap';
import guard from '../../dist/lib/linux/mount-guard.js';
import lsm from '../../dist/lib/linux/lsm.js';

const { ordinaryDirRefusal, procTargetRefusal } = guard;
const { lsmRefusal, specLsmRequests, hostLsm } = lsm;

const fsOf = (entries) => (p) => entries[p] ?? 'missing';

t.test('proc and sysfs: every component must be a directory or missing', async (t) => {
  const fs = fsOf({ '/proc': 'symlink', '/sys': 'dir', '/a': 'symlink', '/f': 'other', '/d': 'dir', '/d/proc': 'dir' });
  t.match(ordinaryDirRefusal('proc', '/proc', fs), /"proc" must be mounted on an ordinary directory: \/proc in the rootfs is a symbolic link/);
  t.match(ordinaryDirRefusal('sysfs', '/a/sys', fs), /\/a in the rootfs is a symbolic link/, 'a link on the way counts too');
  t.match(ordinaryDirRefusal('proc', '/f/proc', fs), /\/f in the rootfs is not a directory/);
  t.equal(ordinaryDirRefusal('sysfs', '/sys', fs), null, 'a real directory');
  t.equal(ordinaryDirRefusal('proc', '/d/proc', fs), null);
  t.equal(ordinaryDirRefusal('proc', '/new/proc', fs), null, 'missing: created in the rootfs');
  t.equal(ordinaryDirRefusal('proc', 'proc/../proc', fs) !== null, true, 'relative and dotted destinations are cleaned first');
  t.equal(ordinaryDirRefusal('tmpfs', '/proc', fs), null, 'other types are resolved in-root instead');
});

t.test('only procfs at /proc, only the lxcfs files under it', async (t) => {
  const no = () => false, yes = () => true;
  t.equal(procTargetRefusal({ resolved: '/proc', type: 'proc', sourceIsProcfs: no }), null);
  t.equal(procTargetRefusal({ resolved: '/proc', type: null, sourceIsProcfs: yes }), null, 'a bind of a procfs');
  t.match(procTargetRefusal({ resolved: '/proc', type: null, sourceIsProcfs: no }), /only a procfs may be mounted at \/proc/);
  t.match(procTargetRefusal({ resolved: '/proc', type: 'tmpfs', sourceIsProcfs: yes }), /type "tmpfs"/);
  t.match(procTargetRefusal({ resolved: '/proc/sys/kernel/core_pattern', type: null, sourceIsProcfs: no }), /is inside \/proc/);
  t.match(procTargetRefusal({ resolved: '/proc/1/attr', type: 'tmpfs', sourceIsProcfs: no }), /is inside \/proc/);
  t.equal(procTargetRefusal({ resolved: '/proc/meminfo', type: null, sourceIsProcfs: no }), null, 'lxcfs-style file');
  t.equal(procTargetRefusal({ resolved: '/proc/sys/kernel/ns_last_pid', type: null, sourceIsProcfs: no }), null);
  t.equal(procTargetRefusal({ resolved: '/process', type: null, sourceIsProcfs: no }), null, 'a sibling is not under /proc');
  t.equal(procTargetRefusal({ resolved: '/mnt/proc', type: 'tmpfs', sourceIsProcfs: no }), null);
});

t.test('LSM labels are refused, naming the field and why', async (t) => {
  const none = { apparmor: false, selinux: false };
  t.equal(lsmRefusal(specLsmRequests({ process: {}, linux: {} }), none), null, 'nothing asked');
  t.equal(lsmRefusal(specLsmRequests({ process: { apparmorProfile: '' } }), none), null, 'an empty label is no label');
  t.match(lsmRefusal(specLsmRequests({ process: { apparmorProfile: 'docker-default' } }), none), /^\/process\/apparmorProfile: "docker-default" cannot be applied: AppArmor is not enabled on this host/);
  t.match(lsmRefusal(specLsmRequests({ process: { selinuxLabel: 'x' } }), none), /^\/process\/selinuxLabel: .*SELinux is not enabled/);
  t.match(lsmRefusal(specLsmRequests({ linux: { mountLabel: 'y' } }), none), /^\/linux\/mountLabel: .*SELinux is not enabled/);
  t.match(lsmRefusal(specLsmRequests({ process: { apparmorProfile: 'p' } }), { apparmor: true, selinux: false }), /AppArmor is enabled on this host but ocits cannot apply/, 'refused even where the module runs: ocits applies none');
  t.same(hostLsm((p) => ({ '/sys/module/apparmor/parameters/enabled': 'Y\n', '/sys/fs/selinux/enforce': '1' })[p] ?? null), { apparmor: true, selinux: true });
  t.same(hostLsm(() => null), { apparmor: false, selinux: false });
  t.same(hostLsm((p) => (p.includes('apparmor') ? 'N\n' : null)), { apparmor: false, selinux: false });
});

t.test('--no-pivot: the full proc and sysfs mounts outside the rootfs are the ones hidden', async (t) => {
  const { fullProcSysOutside } = (await import('../../dist/lib/linux/no-pivot.js')).default;
  const mi = [
    '22 1 0:21 / /proc rw - proc proc rw',
    '23 1 0:22 / /sys rw - sysfs sysfs rw',
    '24 22 0:21 /sys /proc/sys ro - proc proc rw',
    '50 40 0:30 / /b/rootfs/proc rw - proc proc rw',
    '51 40 0:31 / /b/rootfs/sys ro - sysfs sysfs rw',
    '52 1 0:32 / /b/rootfs2/proc rw - proc proc rw',
    '53 1 0:33 / /tmp rw - tmpfs tmpfs rw',
  ].join('\n');
  t.same(fullProcSysOutside(mi, '/b/rootfs'), ['/proc', '/sys', '/b/rootfs2/proc']);
});
