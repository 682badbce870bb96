// As runc's init does after entering its rootfs: stdio fds that are the host's /dev/null
// are reopened on the container's own /dev/null. A file of a mount outside the container
// cannot be checkpointed (CRIU: "Can't lookup mount ... for fd=0 path=/dev/null").
import * as fs from 'node:fs';
import * as libc from '../sys/libc';

const O_RDWR = 2, O_CLOEXEC = 0x80000;

export function reopenDevNullStdio(): void {
  let own: fs.Stats;
  try { own = fs.statSync('/dev/null'); } catch { return; }
  if (!own.isCharacterDevice()) return;
  let fd = -1;
  try {
    for (let i = 0; i < 3; i++) {
      let st: fs.Stats;
      try { st = fs.fstatSync(i); } catch { continue; }
      if (!st.isCharacterDevice() || st.rdev !== own.rdev || st.dev === own.dev) continue;
      if (fd < 0) fd = libc.open('/dev/null', O_RDWR | O_CLOEXEC);
      libc.dup3(fd, i, 0);
    }
  } finally {
    if (fd >= 0) libc.close(fd);
  }
}
