// The device cgroup rules a container gets: the config's own rules, then the
// devices every container may use (the defaults ocits creates, the pty
// devices, mknod of anything), then the config's linux.devices. Later rules
// win, so a config's "deny all" still leaves these usable, as with runc.
import type { DeviceCgroup, Spec } from '../spec/types';

const ALWAYS_ALLOWED: DeviceCgroup[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

export function containerDeviceRules(spec: Spec): DeviceCgroup[] | undefined {
  const configured = spec.linux?.resources?.devices;
  if (!configured) return undefined;
  const fromDevices: DeviceCgroup[] = (spec.linux?.devices ?? [])
    .filter((d) => d.type !== 'p')
    .map((d) => ({ allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: 'rwm' }));
  return [...configured, ...ALWAYS_ALLOWED, ...fromDevices];
}
