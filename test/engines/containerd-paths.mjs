// More real containerd paths (issue 10), each run with ocits and with runc in
// the same run (ctr, runc shim v2, --runc-binary) and checked from inside:
// the host network (`ctr run --net-host`) and loopback up in a network
// namespace of the container's own (ctr's default). containerd runs isolated
// (see lib.mjs startContainerd).
import t from 'tap';
import * as fs from 'node:fs';
import { RUNTIMES, IMAGE, isRoot, missing, startContainerd } from './lib.mjs';

const need = missing(['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc', 'tar']);
if (!isRoot || need.length) {
  t.fail(!isRoot ? 'engine tests need root' : `missing ${need.join(', ')} (run scripts/setup.sh)`);
} else {
  const env = await startContainerd();
  t.teardown(() => env.close());
  const { ctr } = env;
  const hostNetNs = fs.readlinkSync('/proc/self/ns/net');
  const hostIfs = fs.readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2)
    .map((l) => l.split(':')[0].trim()).filter(Boolean).sort();
  // netns, lo's line, interfaces in /proc/net/dev, then in sysfs (mounted in the container's netns)
  const probe = 'readlink /proc/self/ns/net; ip -o link show lo | cut -d\\\\ -f1; ' +
    'echo $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort); echo $(ls /sys/class/net | sort)';

  /** What each runtime saw, per scenario, for the side-by-side checks. */
  const seen = {};

  for (const rt of RUNTIMES) {
    const flags = env.runtimeFlags(rt);
    const id = (s) => `${rt.name}-${s}-${process.pid}`;
    const test = (scenario, fn) => t.test(`${rt.name}: ${scenario}`, async (t) => {
      seen[scenario] ??= {};
      await fn(t, (v) => { seen[scenario][rt.name] = v; });
    });

    test('ctr run --net-host: the host interfaces', async (t, keep) => {
      const r = ctr(['run', '--rm', '--net-host', ...flags, IMAGE, id('host'), 'sh', '-c', probe]);
      t.equal(r.status, 0, r.stderr);
      const [ns, lo, procIfs, sysIfs] = r.stdout.trim().split('\n');
      t.equal(ns, hostNetNs, 'the host network namespace');
      t.match(lo, /^1: lo: <LOOPBACK,UP,LOWER_UP>/, 'the host lo');
      t.equal(procIfs, hostIfs.join(' '), 'the host interfaces in /proc/net/dev');
      t.equal(sysIfs, hostIfs.join(' '), 'and in /sys/class/net');
      keep(r.stdout);
    });

    test('ctr run (own network namespace): lo is up', async (t, keep) => {
      const r = ctr(['run', '--rm', ...flags, IMAGE, id('netns'), 'sh', '-c', probe]);
      t.equal(r.status, 0, r.stderr);
      const [ns, lo, procIfs, sysIfs] = r.stdout.trim().split('\n');
      t.not(ns, hostNetNs, 'a network namespace of its own');
      t.match(lo, /^1: lo: <LOOPBACK,UP,LOWER_UP>/, 'lo UP');
      t.equal(procIfs, 'lo', 'only loopback in /proc/net/dev');
      t.equal(sysIfs, 'lo', 'and in /sys/class/net');
      keep(r.stdout.split('\n').slice(1).join('\n'));
    });
  }

  t.test('ocits sees what runc sees in every scenario', async (t) => {
    for (const [scenario, by] of Object.entries(seen)) t.equal(by.ocits, by.runc, scenario);
  });

  t.test('nothing left behind', async (t) => {
    t.same(await env.close(), [], 'containers, processes, mounts, cgroups, temp dirs, runtime state');
  });
}
