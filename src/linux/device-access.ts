// The device cgroup rules a container gets, as runc 1.1 builds them: deny
// everything, then the config's own rules, then the devices every container
// may use (runc's default allow list: mknod of anything, null, zero, full,
// random, urandom, tty, ptmx, net/tun and the pty slaves; not /dev/console,
// whose pty slave 136:* covers it). Later rules win, so a config's "deny all"
// still leaves these usable, and a config without device rules gets the same
// list. A node listed in linux.devices is created but not allowed: only
// linux.resources.devices grants access (runc 1.1.5 denies such a node too;
// engines add the allow rule themselves, as podman --device does).
import type { DeviceCgroup, Spec } from '../spec/types';

const DENY_ALL: DeviceCgroup = { allow: false, access: 'rwm' };

const ALWAYS_ALLOWED: DeviceCgroup[] = [
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

export function containerDeviceRules(spec: Spec): DeviceCgroup[] {
  const configured = spec.linux?.resources?.devices ?? [];
  return [DENY_ALL, ...configured, ...ALWAYS_ALLOWED];
}
