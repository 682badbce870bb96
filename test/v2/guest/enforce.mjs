// Runs inside the pure cgroup v2 guest (test/v2/guest.mjs boots it; it also runs
// on any pure v2 host as root). Limits enforced by real cgroup2 controllers, for
// both cgroup drivers (cgroupfs paths, and --systemd-cgroup's slice:prefix:name):
// memory.max OOM-kills (the kernel's memory.events counts it), pids.max stops
// forks (pids.events counts them), cgroup.freeze freezes (cgroup.events says
// frozen) and the device eBPF program (v2 has no devices controller) denies
// mknod and open by rule. Each container's cgroup is read from the host side.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle, fileRoot, uniqueId, ocits, ocitsToFiles, leftovers, until } from '../../lib/bundle.mjs';

const CG = '/sys/fs/cgroup';
const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' - ')[1]?.split(' ') ?? []);
const pureV2 = mountinfo.some(([type], i) => type === 'cgroup2') && !mountinfo.some(([type]) => type === 'cgroup')
  && fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${CG} `);
if (!pureV2) {
  // This file exists to prove enforcement on a pure v2 host; anywhere else it must not pass.
  t.fail('not a pure cgroup v2 host (cgroup v1 mounted or no cgroup2 at /sys/fs/cgroup): run it through test/v2/guest.mjs');
  process.exit(1);
}

const root = fileRoot(t);
const read = (p) => fs.readFileSync(p, 'utf8').trim();
const keyed = (p) => Object.fromEntries(read(p).split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
const MiB = 1024 * 1024;

const DRIVERS = {
  cgroupfs: { flags: [], cgroupsPath: (id) => `/ocits-v2/${id}`, dir: (id) => `${CG}/ocits-v2/${id}` },
  systemd: { flags: ['--systemd-cgroup'], cgroupsPath: (id) => `system.slice:ocits:${id}`, dir: (id) => `${CG}/system.slice/ocits-${id}.scope` },
};

/** A container for one test under `driver`: cli(...) runs ocits with the driver's flags. */
function container(t, driver, args, edit = () => {}) {
  const d = DRIVERS[driver];
  const id = uniqueId('v2');
  const b = makeBundle(args, (c) => { c.linux.cgroupsPath = d.cgroupsPath(id); edit(c); });
  const cli = (...a) => ocits(['--root', root, ...d.flags, ...a], { timeout: 180000 });
  t.teardown(() => { cli('delete', '--force', id); b.cleanup(); });
  return { id, b, cli, dir: d.dir(id), run: (...extra) => cli('run', '--bundle', b.dir, ...extra, id) };
}

// OCITS_V2_DRIVERS (set by guest.mjs per guest) picks drivers; all by default.
const drivers = process.env.OCITS_V2_DRIVERS?.split(/\s+/).filter(Boolean) ?? Object.keys(DRIVERS);
for (const d of drivers) if (!DRIVERS[d]) t.fail(`unknown driver ${d} in OCITS_V2_DRIVERS`);

for (const driver of drivers.filter((d) => DRIVERS[d])) {
  t.test(`${driver}: memory.max OOM-kills a hog; memory.events counts the kill`, async (t) => {
    const c = container(t, driver, ['sh', '-c', 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max; x=$(head -c 64000000 /dev/zero | tr "\\0" a); echo survived ${#x}'],
      (cfg) => { cfg.linux.resources.memory = { limit: 32 * MiB, swap: 32 * MiB }; });
    const r = c.run('--keep');
    t.equal(r.status, 137, `killed by SIGKILL (${r.stderr})`);
    t.equal(r.stdout, `${32 * MiB}\n0\n`, 'memory.max and memory.swap.max (limit+swap = limit: no swap) seen inside');
    t.equal(read(`${c.dir}/memory.max`), String(32 * MiB), `${c.dir}/memory.max`);
    t.ok(keyed(`${c.dir}/memory.events`).oom_kill >= 1, `memory.events: ${read(`${c.dir}/memory.events`).replace(/\n/g, ', ')}`);
    t.equal(c.cli('delete', c.id).status, 0);
    t.same(leftovers(root, c.b.dir, c.id), [], 'nothing left after delete');
  });

  t.test(`${driver}: pids.max stops forks; pids.events counts the refusals`, async (t) => {
    // A subshell forks sleeps until a fork fails (ash then exits it); the reads are builtins (no fork).
    const c = container(t, driver, ['sh', '-c', '(for i in $(seq 30); do sleep 60 & done) 2>/dev/null; read max < /sys/fs/cgroup/pids.max; read cur < /sys/fs/cgroup/pids.current; echo $max $cur; kill -9 -1'],
      (cfg) => { cfg.linux.resources.pids = { limit: 12 }; });
    const r = c.run('--keep');
    t.equal(r.status, 0, r.stderr);
    const [max, current] = r.stdout.trim().split(' ');
    t.equal(max, '12', 'pids.max inside');
    t.ok(Number(current) <= 12 && Number(current) >= 10, `pids.current ${current} held at the limit`);
    t.equal(read(`${c.dir}/pids.max`), '12');
    t.ok(keyed(`${c.dir}/pids.events`).max >= 1, `pids.events: ${read(`${c.dir}/pids.events`)}`);
  });

  t.test(`${driver}: pause sets cgroup.freeze and the kernel reports the cgroup frozen; resume thaws it`, async (t) => {
    const c = container(t, driver, ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /dev/shm/count; sleep 0.2; done']);
    const started = ocitsToFiles(['--root', root, ...DRIVERS[driver].flags, 'run', '-d', '--bundle', c.b.dir, c.id], c.b.dir, { timeout: 180000 });
    t.equal(started.status, 0, started.stderr);
    const state = () => JSON.parse(c.cli('state', c.id).stdout);
    const pid = state().pid;
    t.equal(read(`/proc/${pid}/cgroup`), `0::${c.dir.slice(CG.length)}`, 'the init is in the container cgroup');
    t.equal(c.cli('pause', c.id).status, 0);
    t.equal(read(`${c.dir}/cgroup.freeze`), '1');
    t.equal(keyed(`${c.dir}/cgroup.events`).frozen, 1, 'cgroup.events: frozen 1');
    t.equal(state().status, 'paused');
    const e = c.cli('exec', c.id, 'true');
    t.equal(e.status, 255, 'exec into a paused container is refused (runc\'s status)');
    t.match(e.stderr, /cannot exec in a paused container/);
    t.equal(c.cli('resume', c.id).status, 0);
    t.equal(read(`${c.dir}/cgroup.freeze`), '0');
    t.equal(keyed(`${c.dir}/cgroup.events`).frozen, 0, 'cgroup.events: frozen 0');
    t.equal(state().status, 'running');
    const count = () => Number(read(`/proc/${pid}/root/dev/shm/count`));
    const first = count();
    await until(() => count() > first, 60000, 'the loop to go on after resume');
    t.pass('the loop runs again');
  });

  t.test(`${driver}: the device eBPF program allows and denies opens by rule`, async (t) => {
    // mknod of any node is allowed (runc's default "c *:* m"); opening 1:11 (kmsg) for
    // writing is allowed by the rule, for reading it is not; /dev/null is a default.
    const script = [
      'mknod /dev/km c 1 11 && echo km-made',
      'head -c 1 /dev/km > /dev/null || echo km-read-denied',
      'echo ocits-v2-guest > /dev/km && echo km-write-ok',
      'echo x > /dev/null && echo null-ok',
    ].join('; ');
    const c = container(t, driver, ['sh', '-c', script], (cfg) => {
      for (const set of ['bounding', 'effective', 'permitted']) cfg.process.capabilities[set].push('CAP_MKNOD');
      cfg.linux.resources.devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'w' }];
    });
    const r = c.run();
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, 'km-made\nkm-read-denied\nkm-write-ok\nnull-ok\n');
    t.match(r.stderr, /km: Operation not permitted/, 'open for reading: EPERM from the device program');
    t.notOk(read(`${CG}/cgroup.controllers`).split(' ').includes('devices'), 'cgroup2 has no devices controller: the eBPF program did it');
  });
}
