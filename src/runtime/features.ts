// `features`: the runtime-spec features document, describing what this build
// of ocits really does (containerd's CRI plugin reads mountOptions for "rro",
// namespaces for "user" and mountExtensions.idmap.enabled).
import { MOUNT_OPTION_WORDS } from '../linux/mount-options';
import { ALL_CAPS } from '../linux/capabilities';
import { NAMESPACE_KINDS } from '../linux/namespaces';
import { OCI_VERSION } from '../spec/types';

/** `checkpoint`: the annotations src/checkpoint/features.ts reports about CRIU. */
/**
 * `rootless`: the caller is not the host's root. ID-mapped mounts then need privileges it
 * lacks, and cgroups are managed only where delegated to it.
 */
export function featuresDocument(seccomp?: object, checkpoint?: Record<string, string>, rootless = false): object {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: MOUNT_OPTION_WORDS.filter((w) => w !== 'tmpcopyup'),
    linux: {
      namespaces: NAMESPACE_KINDS.map((k) => k.type),
      capabilities: [...ALL_CAPS],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: seccomp ?? { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: !rootless } },
    },
    annotations: {
      'org.opencontainers.ocits.version': '0.1.0',
      'org.opencontainers.ocits.checkpoint.enabled': 'false',
      ...checkpoint,
      'org.opencontainers.ocits.rootless': String(rootless),
    },
  };
}
