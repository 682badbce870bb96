// The runtimes the bench compares, and the environment it runs them in.
//
// crun 1.8 refuses a hybrid cgroup host whose cgroup2 tree offers controllers
// ("cgroups in hybrid mode not supported"), which this machine is (hugetlb sits on
// cgroup2). So the bench runs itself in a private mount namespace where the
// cgroup2 mount at /sys/fs/cgroup/unified is unmounted: all three runtimes then see
// the same plain cgroup v1 layout. Nothing changes on the host.
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { OCITS, makeRoot } from '../test/lib/bundle.mjs';

export const RUNC = '/usr/sbin/runc';
export const CRUN = '/usr/bin/crun';

/** Re-executes this script in a private mount namespace without the cgroup2 mount; returns false in the child. */
export function enterBenchNamespace(script) {
  if (process.env.OCITS_BENCH_NS === '1') {
    const unified = '/sys/fs/cgroup/unified';
    const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === unified);
    if (mounted) {
      const r = spawnSync('umount', [unified], { encoding: 'utf8' });
      if (r.status !== 0) console.log(`bench: umount ${unified} failed (${r.stderr.trim()}); crun may refuse this host`);
    }
    return false;
  }
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, script, ...process.argv.slice(2)], {
    stdio: 'inherit', env: { ...process.env, OCITS_BENCH_NS: '1' },
  });
  process.exitCode = r.status ?? 1;
  return true;
}

/** { name, bin, root } for ocits and every reference runtime installed here. */
export function benchRuntimes() {
  const list = [{ name: 'ocits', bin: OCITS, root: makeRoot() }];
  for (const [name, bin] of [['runc', RUNC], ['crun', CRUN]]) {
    if (fs.existsSync(bin)) list.push({ name, bin, root: makeRoot() });
    else console.log(`bench: ${bin} not found (scripts/setup.sh installs it); no ${name} column`);
  }
  return list;
}

/** The environment bin/ocits gives node (no NODE_OPTIONS, no NODE_EXTRA_CA_CERTS): the fair `node -e 0` floor. */
export const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && k !== 'NODE_EXTRA_CA_CERTS'));
