// More real containerd paths (issue 10), each run with ocits and with runc in
// the same run (ctr, runc shim v2, --runc-binary) and checked from inside:
// the host network (`ctr run --net-host`), loopback up in a network
// namespace of the container's own (ctr's default), rshared/rslave bind mounts. containerd runs isolated
// (see lib.mjs startContainerd).
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { RUNTIMES, IMAGE, isRoot, missing, startContainerd, mountsUnder, waitFor } from './lib.mjs';

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

    // host mounts under SRC go in with either mode; a privileged task's own mounts stay in with
    // both, as with runc: ctr's spec has no rootfsPropagation, so the runtime makes / rslave
    // first and /dst's peer group is a new one (podman sets rootfsPropagation for :rshared)
    for (const mode of ['rshared', 'rslave']) {
      test(`ctr run --mount ...:rbind:${mode}: host mounts go in, task mounts stay in`, async (t, keep) => {
        const src = fs.mkdtempSync(path.join(os.tmpdir(), `ocits-ctr-${mode}-`));
        fs.mkdirSync(path.join(src, 'fromhost'));
        fs.mkdirSync(path.join(src, 'fromctr'));
        const sh = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
        const cid = id(mode);
        const stop = () => { ctr(['task', 'kill', '-s', 'SIGKILL', cid]); ctr(['task', 'delete', '-f', cid]); ctr(['container', 'rm', cid]); };
        t.teardown(() => {
          stop();
          for (const m of mountsUnder(src)) spawnSync('umount', ['-l', m]);
          fs.rmSync(src, { recursive: true, force: true });
        });
        t.equal(sh(`mount --bind ${src} ${src} && mount --make-shared ${src}`).status, 0, 'SRC a shared mount point');
        const d = ctr(['run', '-d', '--privileged', '--mount', `type=bind,src=${src},dst=/dst,options=rbind:${mode}:rw`, ...flags, IMAGE, cid, 'sleep', '300']);
        t.equal(d.status, 0, d.stderr);
        t.ok(await waitFor(() => ctr(['task', 'ls']).stdout.split('\n').some((l) => l.startsWith(cid + ' ') && /RUNNING/.test(l))), 'running');
        t.equal(sh(`mount -t tmpfs h-${rt.name} ${src}/fromhost && echo h > ${src}/fromhost/f`).status, 0, 'host mount under SRC');
        const r = ctr(['task', 'exec', '--exec-id', 'p', cid, 'sh', '-c', 'cat /dst/fromhost/f && mount -t tmpfs c /dst/fromctr && echo mounted']);
        t.equal(r.status, 0, r.stderr);
        t.equal(r.stdout, 'h\nmounted\n', 'the host mount is seen inside; the task mounts');
        const out = mountsUnder(src).includes(path.join(src, 'fromctr'));
        t.equal(out, false, 'the task\'s mount is not seen on the host');
        keep(`${r.stdout} out=${out}`);
        stop();
      });
    }
  }

  t.test('ocits sees what runc sees in every scenario', async (t) => {
    for (const [scenario, by] of Object.entries(seen)) t.equal(by.ocits, by.runc, scenario);
  });

  t.test('nothing left behind', async (t) => {
    t.same(await env.close(), [], 'containers, processes, mounts, cgroups, temp dirs, runtime state');
  });
}
