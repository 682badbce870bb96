// The config.json that `ocits spec` writes: field for field what `runc spec`
// writes (a terminal shell in a read-only rootfs), so that scripts written for
// runc behave the same. Differences: the hostname, ociVersion, and a cgroup
// namespace (as newer runc releases add).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '../spec/types';
import { OCI_VERSION } from '../spec/types';

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export function defaultSpec(rootless = false): Spec {
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_CAPS], effective: [...DEFAULT_CAPS], permitted: [...DEFAULT_CAPS], ambient: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'ocits',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  return rootless ? toRootless(spec) : spec;
}

/** runc's changes for --rootless: the caller's ids mapped to root, no network namespace, no resources, /sys bound. */
function toRootless(spec: Spec): Spec {
  const old = spec.linux!;
  const { resources: _resources, namespaces, ...rest } = old;
  spec.linux = {
    uidMappings: [{ containerID: 0, hostID: process.geteuid?.() ?? 0, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: process.getegid?.() ?? 0, size: 1 }],
    namespaces: [...(namespaces ?? []).filter((n) => n.type !== 'network'), { type: 'user' }],
    ...rest,
  };
  spec.mounts = spec.mounts!.map((m) => {
    if (m.destination === '/sys') return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    if (m.type === 'devpts') return { ...m, options: m.options!.filter((o) => o !== 'gid=5') };
    return m;
  });
  return spec;
}

/** `spec`: DIR/config.json, never over an existing one (runc's rule and words). */
export function writeDefaultSpec(dir: string, rootless: boolean): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw new Error(`bundle ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new Error(`bundle ${dir}: not a directory`);
  const file = path.join(dir, 'config.json');
  const text = JSON.stringify(defaultSpec(rootless), null, '\t');
  try {
    fs.writeFileSync(file, text, { flag: 'wx', mode: 0o666 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`File ${file} exists. Remove it first`);
    throw e;
  }
}
