// Masked and read-only paths hold against the container's root (no
// CAP_SYS_ADMIN), and --no-pivot leaves no full procfs or sysfs in the mount
// namespace that a nested user namespace could use to mount an unmasked one.
// Checklist rows: mask-basic, readonly-basic, no-pivot-procfs.
import t from 'tap';
import { fixture, fileRoot, isRoot } from '../lib/bundle.mjs';
import { guardHost } from '../lib/security.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);
const hostUnchanged = guardHost(t);

const lines = (s) => s.split('\n').filter(Boolean);

t.test('mask-basic: masked files read empty and cannot be removed or unmounted; masked dirs are empty and read-only', async (t) => {
  const probe = [
    'echo "kcore=$(head -c 16 /proc/kcore | wc -c)"',
    'echo "timer=$(grep -c . /proc/timer_list)"',
    'rm -f /proc/timer_list 2>/dev/null && echo RM-OK',
    'umount /proc/timer_list 2>/dev/null && echo UMOUNT-OK',
    'umount -l /sys/firmware 2>/dev/null && echo UMOUNT-DIR-OK',
    'echo "firmware=$(ls -A /sys/firmware | wc -l)"',
    'touch /sys/firmware/x 2>/dev/null && echo TOUCH-OK',
    'echo "after=$(grep -c . /proc/timer_list)"',
  ].join('; ');
  const f = fixture(t, root, ['sh', '-c', probe], (c) => { c.linux.maskedPaths.push('/proc/timer_list'); });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.same(lines(r.stdout), ['kcore=0', 'timer=0', 'firmware=0', 'after=0'], 'empty, and no rm/umount/touch succeeded');
  // Control: without the masks the same probe sees the real files, so it can fail.
  const open = fixture(t, root, ['sh', '-c', probe], (c) => { c.linux.maskedPaths = []; });
  const o = open.run();
  t.match(o.stdout, /timer=[1-9]/, 'control: unmasked, /proc/timer_list has content');
  t.match(o.stdout, /firmware=[1-9]/, 'control: unmasked, /sys/firmware has entries');
});

t.test('readonly-basic: /proc/sysrq-trigger and /proc/sys cannot be written', async (t) => {
  const probe = 'echo x > /proc/sys/kernel/domainname 2>/dev/null && echo WROTE-SYS; echo h > /proc/sysrq-trigger 2>/dev/null && echo WROTE-SYSRQ; '
    + 'mount -o remount,rw /proc/sys 2>/dev/null && echo REMOUNTED; echo done';
  const f = fixture(t, root, ['sh', '-c', probe]);
  const r = f.run();
  t.equal(r.stdout, 'done\n', `nothing written or remounted (${r.stderr.trim()})`);
  // Control: without readonlyPaths the (uts-namespaced) domainname is writable, so the probe can fail.
  const open = fixture(t, root, ['sh', '-c', 'echo x > /proc/sys/kernel/domainname && echo WROTE-SYS'], (c) => { c.linux.readonlyPaths = []; });
  t.equal(open.run().stdout, 'WROTE-SYS\n', 'control: writable without readonlyPaths');
});

t.test('no-pivot-procfs: a nested user namespace cannot mount a fresh procfs or sysfs, with or without --no-pivot', async (t) => {
  // CAP_SETFCAP as in runc's no_pivot.bats; unshare -r maps root in the nested namespace.
  const probe = 'unshare -mrpf sh -c "mount -t proc none /proc && echo PROC-MOUNTED; mount -t sysfs none /sys && echo SYS-MOUNTED"; echo done';
  const caps = (c) => { for (const k of ['bounding', 'effective', 'permitted']) c.process.capabilities[k].push('CAP_SETFCAP'); };
  for (const extra of [[], ['--no-pivot']]) {
    const f = fixture(t, root, ['sh', '-c', probe], caps);
    const r = f.run(extra);
    // Before the fix, --no-pivot printed PROC-MOUNTED: the host's /proc stayed under the chroot.
    t.equal(r.stdout, 'done\n', `${extra.join(' ') || 'pivot_root'}: neither mounted (${r.stderr.trim().split('\n').join(' | ')})`);
    t.match(r.stderr, /permission denied/);
  }
  // Control: with masks and read-only paths gone and a pivot, no overmount hides procfs: the nested mount works.
  const open = fixture(t, root, ['sh', '-c', probe], (c) => { caps(c); c.linux.maskedPaths = []; c.linux.readonlyPaths = []; });
  t.match(open.run().stdout, /PROC-MOUNTED/, 'control: the probe can mount when nothing is masked');
});

hostUnchanged();
