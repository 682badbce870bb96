// A real cgroup v2 run: boots a qemu guest whose kernel (Debian 12's 6.1) runs
// with cgroup_no_v1=all, on this host's own root filesystem (read-only over 9p,
// so the same node, busybox, runc and build of ocits), runs the cgroup,
// lifecycle and engine-free integration files there, and reports each file's
// TAP output here as a subtest: a failure in the guest fails this file.
// How it works: docs/cgroup-v2-guest.md. OCITS_V2_FILES="a.mjs b.mjs" picks
// other files (paths relative to the repo) for the shell guest,
// OCITS_V2_SYSTEMD_FILES for the systemd one, OCITS_V2_INITS="shell" boots only
// that one; OCITS_V2_KEEP=1 keeps the job dirs.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, isRoot } from '../lib/bundle.mjs';
import { runGuest, resultName } from './guest-lib.mjs';

const list = (v, dflt) => v?.split(/\s+/).filter(Boolean) ?? dflt;
// Two guests: a shell as pid 1 that mounts and delegates cgroup2 itself, and
// Debian's systemd as pid 1 (the layout of a real Debian 12 host), which runs
// the tests as a service with a delegated cgroup.
const GUESTS = [
  {
    // --systemd-cgroup only computes the scope's path: it is tested where systemd runs.
    init: 'shell', systemd: false, env: { OCITS_V2_DRIVERS: 'cgroupfs' },
    // Each file costs minutes under emulation; resources-cli.mjs and
    // lifecycle.mjs also adapt to v2 but take 20+ minutes here (OCITS_V2_FILES runs them).
    files: list(process.env.OCITS_V2_FILES, [
      'test/v2/guest/enforce.mjs',
      'test/integration/events-oom.mjs',
      'test/integration/cgroups-enforced.mjs',
      'test/integration/cgroups-unified.mjs',
      'test/integration/devices.mjs',
    ]),
  },
  {
    init: 'systemd', systemd: true, env: { OCITS_V2_DRIVERS: 'cgroupfs systemd' },
    files: list(process.env.OCITS_V2_SYSTEMD_FILES, ['test/v2/guest/enforce.mjs']),
  },
].filter((g) => list(process.env.OCITS_V2_INITS, ['shell', 'systemd']).includes(g.init));
const GUEST_TIMEOUT = 25 * 60 * 1000;
t.setTimeout(GUESTS.length * GUEST_TIMEOUT + 120 * 1000);

if (!isRoot) {
  t.fail('the cgroup v2 guest needs root (9p passthrough of the host root)');
  process.exit(1);
}

const tail = (s, n = 60) => s.split('\n').slice(-n).join('\n');

for (const g of GUESTS) {
  await t.test(`a pure cgroup v2 guest with ${g.init} as pid 1`, async (t) => {
    const jobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-v2guest-'));
    if (!process.env.OCITS_V2_KEEP) t.teardown(() => fs.rmSync(jobDir, { recursive: true, force: true }));
    const job = (name) => path.join(jobDir, name);
    const readJob = (name) => (fs.existsSync(job(name)) ? fs.readFileSync(job(name), 'utf8') : '');

    const env = { CI: process.env.CI ?? '', FILE_TIMEOUT: '900', ...g.env };
    const r = await runGuest({ repo: REPO, files: g.files, jobDir, timeoutMs: GUEST_TIMEOUT, env, systemd: g.systemd });
    t.comment(`guest ran ${Math.round(r.ms / 1000)}s (job dir ${jobDir})`);
    t.ok(!r.timedOut && r.code === 0 && readJob('done') === 'ok\n', 'the guest ran every file and powered off', {
      timedOut: r.timedOut, code: r.code, signal: r.signal, qemu: r.stderr,
      stage2: tail(readJob('stage2.log')), console: tail(readJob('console.log')),
    });

    const facts = readJob('guest.txt');
    t.match(facts, /^kernel 6\.1\./m, 'kernel 6.1');
    t.match(facts, g.systemd ? /^init systemd systemd$/m : /^init init sh$/m, `pid 1 is ${g.init}`);
    const mounts = facts.split('\n').filter((l) => l.startsWith('mount '));
    t.ok(mounts.length === 1 && / \/sys\/fs\/cgroup .* - cgroup2 /.test(mounts[0]), `only cgroup2, at /sys/fs/cgroup: ${mounts.join('; ')}`);
    for (const c of ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids']) {
      t.match(facts, new RegExp(`^cgroup\\.controllers .*\\b${c}\\b`, 'm'), `${c} offered by the cgroup2 root`);
    }

    // Each file's TAP output becomes a subtest (parsed by tap); the exit status is the guest's.
    for (const f of g.files) {
      const name = resultName(f);
      t.spawn('sh', ['-c', 's=$(cat "$2") || exit 99; cat "$1"; exit "$s"', 'sh', job(`${name}.tap`), job(`${name}.status`)],
        { env: { PATH: process.env.PATH } }, `guest: ${f}`);
    }
  });
}
