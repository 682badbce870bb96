// Helpers for test/security/: host-side invariants every attack test checks
// after its container is gone (nothing written where the container should not
// reach), and a rootfs able to run the host's node (to try re-executing it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

/** Host settings a breakout would change: compared before and after each test. */
export function hostSettings() {
  const read = (p) => { try { return fs.readFileSync(p, 'utf8'); } catch (e) { return `<${e.code}>`; } };
  return {
    core_pattern: read('/proc/sys/kernel/core_pattern'),
    hostname: read('/proc/sys/kernel/hostname'),
    domainname: read('/proc/sys/kernel/domainname'),
    ip_forward: read('/proc/sys/net/ipv4/ip_forward'),
  };
}

/** Takes the host settings now; call the result in a last subtest to assert they did not change. */
export function guardHost(t) {
  const before = hostSettings();
  return () => t.test('host-unchanged: core_pattern, hostname, domainname, ip_forward are as before', async (t) => {
    t.same(hostSettings(), before);
  });
}

/** Copies the host node binary's shared libraries (and loader) into a rootfs, so node can start there. */
export function copyNodeLibs(rootfs) {
  const out = spawnSync('ldd', [process.execPath], { encoding: 'utf8' }).stdout;
  for (const line of out.split('\n')) {
    const m = /(\/\S+) \(0x/.exec(line);
    if (!m) continue;
    for (const p of new Set([m[1], fs.realpathSync(m[1])])) {
      const dst = path.join(rootfs, p);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      if (!fs.existsSync(dst)) fs.copyFileSync(p, dst);
    }
  }
}

/** dev:ino of a host file, as `stat -Lc %d:%i` prints it inside a container. */
export function devIno(p) {
  const st = fs.statSync(p);
  return `${st.dev}:${st.ino}`;
}

/** Mount points on the host whose path contains `s`. */
export function hostMountsWith(s) {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.includes(s)).map((l) => l.split(' ')[4]);
}
