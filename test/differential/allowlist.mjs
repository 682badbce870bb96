// Known differences between ocits and runc on the corpus, each with its reason.
// { config: 'engine/name.json' | '*' | RegExp, field: 'probe.env' | RegExp, reason, lines? }
// (with `lines`, only differences whose changed lines all match it are explained).
// Field names: see lib/compare.mjs fields() (probe.<section>, exec.<process file>.<section>,
// state.created.<key>, state.running.<key>, host.<cgroup file>, hooks, create.ok, ...).
// An entry that matches nothing is reported by the test: remove it once the difference is gone.

/** A probe section, in the init's probe and in every exec's. */
const section = (name) => new RegExp(`^(probe|exec\\..+\\.process\\.json)\\.${name}$`);
const TTY = /^((podman|containerd)\/run-tty|own\/(runc|crun)-spec(-rootless)?)\.json$/; // terminal: true

export const ALLOWLIST = [
  // Permanent: not a behaviour.
  { config: '*', field: /^state\.(created|running)\.ociVersion$/, reason: 'state reports the runtime\'s own spec version (runc 1.1.5: 1.0.2-dev)' },

  { config: '*', field: section('status'), lines: /^Seccomp_filters:\t2$|^Seccomp_filters:\t1$/, reason: 'ocits loads the ENOSYS stub (issue 10 item 10) as a second filter; runc patches it into its one BPF program' },

  // Owned by the `mounts` work (issue 10 items 4, 5, 13, 15).
  { config: /^(podman\/run-userns-uidmap|podman\/rootless-keep-id|containerd\/run-userns-config)\.json$/, field: section('mounts'), reason: 'owned by mounts: the same mounts in another mountinfo order (user namespace)' },
  { config: 'cri/mount-propagation-bidirectional.json', field: section('mounts'), reason: 'owned by mounts: with rootfsPropagation shared, ocits\'s mounts show shared:N where runc\'s show none' },

  // Owned by the `proc` work (issue 10 items 7, 8).
  { config: TTY, field: section('dev'), reason: 'owned by proc: /dev/console of a terminal container (pty, items 7-8)' },
  { config: TTY, field: section('mounts'), lines: /\/dev\/console /, reason: 'owned by proc: runc binds the pty slave on /dev/console of a terminal container' },

];
