// --no-pivot (chroot after MS_MOVE) leaves the host's mounts in the
// container's mount namespace, under its root. A full procfs or sysfs there
// lets a process in a nested user namespace mount a fresh, unmasked procfs
// or sysfs (the kernel allows it when one is already fully visible in the
// namespace). So, as runc does, every full proc/sysfs mount outside the rootfs
// is detached, or covered with a tmpfs when it cannot be.
import * as fs from 'node:fs';
import * as libc from '../sys/libc';
import type { SysError } from '../sys/errno';
import { parseMountInfo } from './mount-info';
import { isSubpath } from './paths';
import { MS_REC, MS_SLAVE } from './mount-options';

const MNT_DETACH = 2;

/** Mount points of full proc and sysfs mounts outside `rootfs` (pure, for tests). */
export function fullProcSysOutside(mountinfo: string, rootfs: string): string[] {
  return parseMountInfo(mountinfo)
    .filter((m) => (m.fstype === 'proc' || m.fstype === 'sysfs') && m.root === '/' && !isSubpath(rootfs, m.mountpoint))
    .map((m) => m.mountpoint);
}

export function hideHostProcSys(rootfs: string): void {
  for (const p of fullProcSysOutside(fs.readFileSync('/proc/self/mountinfo', 'utf8'), rootfs)) {
    try {
      libc.mount(null, p, null, MS_SLAVE | MS_REC, null);
    } catch (e) {
      if ((e as SysError).code === 'ENOENT') continue; // under a mount already detached
      throw e;
    }
    try {
      libc.umount2(p, MNT_DETACH);
    } catch (e) {
      const code = (e as SysError).code;
      if (code !== 'EINVAL' && code !== 'EPERM') throw e;
      libc.mount('tmpfs', p, 'tmpfs', 0, null);
    }
  }
}
