// Known differences between ocits and runc on the corpus, each with its reason.
// { config: 'engine/name.json' | '*' | RegExp, field: 'probe.env' | RegExp, reason, lines? }
// (with `lines`, only differences whose changed lines all match it are explained).
// Field names: see lib/compare.mjs fields() (probe.<section>, exec.<process file>.<section>,
// state.created.<key>, state.running.<key>, host.<cgroup file>, hooks, create.ok, ...).
// An entry that matches nothing is reported by the test: remove it once the difference is gone.

/** A probe section, in the init's probe and in every exec's. */
const section = (name) => new RegExp(`^(probe|exec\\..+\\.process\\.json)\\.${name}$`);
const USERNS = /^(podman\/run-userns-uidmap|podman\/rootless-keep-id|containerd\/run-userns-config)\.json$/;
const TTY = /^(podman|containerd)\/run-tty\.json$/;

export const ALLOWLIST = [
  // Permanent: not a behaviour.
  { config: '*', field: /^state\.(created|running)\.ociVersion$/, reason: 'state reports the runtime\'s own spec version (runc 1.1.5: 1.0.2-dev)' },

  { config: '*', field: section('status'), lines: /^Seccomp_filters:\t2$|^Seccomp_filters:\t1$/, reason: 'ocits loads the ENOSYS stub (issue 10 item 10) as a second filter; runc patches it into its one BPF program' },

  // Owned by the `mounts` work (issue 10 items 4, 5, 13, 15).
  { config: '*', field: section('mounts'), reason: 'owned by mounts: /sys/fs/cgroup is mounted ro as a whole and gains a unified cgroup2 mount' },
  { config: '*', field: section('cgroupfs'), reason: 'owned by mounts: the extra unified cgroup2 mount under /sys/fs/cgroup' },
  { config: USERNS, field: section('dev'), reason: 'owned by mounts: /dev/mqueue owner in a user namespace' },
  { config: 'podman/run-userns-uidmap.json', field: /./, reason: 'owned by mounts: create fails since 5c426b5 (mount of /sys/fs/cgroup controllers in a user namespace: permission denied)' },
  { config: 'cri/mount-propagation-bidirectional.json', field: /./, reason: 'owned by mounts: rshared rootfsPropagation fails (pivot_root EINVAL, item 4)' },

  // Owned by the `proc` work (issue 10 items 3, 7, 8).
  { config: '*', field: section('links'), reason: 'owned by proc: lo is left down in a new network namespace (item 3)' },
  { config: TTY, field: section('dev'), reason: 'owned by proc: /dev/console of a terminal container (pty, items 7-8)' },

  // Pending fixes on the `diff` branch.
  { config: /^podman\/rootless-/, field: /^host\.path /, reason: 'pending (diff): default cgroup path without cgroupsPath' },
];
