// Namespaces seen from inside the container: new ones (pid, uts, net, ipc,
// cgroup, time with offsets) and joined ones (another container's, by path).
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, fileRoot, until, isRoot } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

const hostNs = (n) => fs.readlinkSync(`/proc/self/ns/${n}`);
const NS = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup'];

/** A host directory bind-mounted rw at /out in the container. */
function outDir(t) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-out-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  return { out, mount: { destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] } };
}

t.test('new pid, net, ipc, uts, mount and cgroup namespaces', async (t) => {
  const script = [
    'echo "pid=$$"',
    'echo "procs=$(ls /proc | grep "^[0-9]" | tr "\\n" " ")"',
    `for n in ${NS.join(' ')}; do echo "ns_$n=$(readlink /proc/self/ns/$n)"; done`,
    'echo "host=$(hostname)"',
    'echo "domain=$(cat /proc/sys/kernel/domainname)"',
    'echo "links=$(ls /sys/class/net | tr "\\n" " ")"',
    'echo "netdev=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\\n" " ")"',
    'echo "cgroup=$(cut -d: -f3 /proc/self/cgroup | sort -u | tr "\\n" " ")"',
  ].join('; ');
  const f = fixture(t, root, ['sh', '-c', script], (c) => { c.hostname = 'inner-host'; c.domainname = 'inner.example'; });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const kv = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  t.equal(kv.pid, '1', 'the process is pid 1');
  // sh, the subshell of $(...), ls, grep and tr: no host process is visible.
  const procs = kv.procs.trim().split(' ').map(Number);
  t.ok(procs.includes(1) && procs.length <= 5 && Math.max(...procs) < 50, `only the container's processes are in /proc (${kv.procs})`);
  for (const n of NS) {
    t.match(kv[`ns_${n}`], new RegExp(`^${n}:\\[\\d+\\]$`));
    t.not(kv[`ns_${n}`], hostNs(n), `own ${n} namespace`);
  }
  t.equal(kv.host, 'inner-host');
  t.equal(kv.domain, 'inner.example');
  t.equal(os.hostname() === 'inner-host', false, 'the host name is untouched');
  t.equal(kv.links.trim(), 'lo', 'only lo in the network namespace (sysfs)');
  t.equal(kv.netdev.trim(), 'lo', 'only lo in /proc/net/dev');
  t.equal(kv.cgroup.trim(), '/', 'the cgroup namespace is rooted at the container cgroup');
});

t.test('without a namespace in the config, the host one is kept', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'for n in net ipc uts cgroup; do echo "$(readlink /proc/self/ns/$n)"; done'], (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n) => !['network', 'ipc', 'uts', 'cgroup'].includes(n.type));
    delete c.hostname;
  });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), ['net', 'ipc', 'uts', 'cgroup'].map(hostNs));
});

t.test('ipc namespace: a host SysV queue is visible only without one', async (t) => {
  const made = spawnSync('ipcmk', ['-Q'], { encoding: 'utf8' });
  const qid = made.stdout.match(/id: (\d+)/)?.[1];
  t.ok(qid, `a host message queue (${made.stdout.trim()})`);
  t.teardown(() => spawnSync('ipcrm', ['-q', qid]));
  const script = ['sh', '-c', 'cat /proc/sysvipc/msg | tail -n +2 | wc -l'];
  const own = fixture(t, root, script);
  const r = own.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), '0', 'no message queues in a new ipc namespace');
  const shared = fixture(t, root, script, (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'ipc'); });
  const r2 = shared.run();
  t.equal(r2.status, 0, r2.stderr);
  t.ok(Number(r2.stdout.trim()) >= 1, `the host's queues in the host ipc namespace (${r2.stdout.trim()})`);
});

t.test('time namespace with timeOffsets', async (t) => {
  const OFFSET = 10 * 86400;
  const f = fixture(t, root, ['cat', '/proc/uptime'], (c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { boottime: { secs: OFFSET, nanosecs: 0 }, monotonic: { secs: 3600, nanosecs: 0 } };
  });
  const r = f.run();
  const outside = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  t.equal(r.status, 0, r.stderr);
  const inside = Number(r.stdout.split(' ')[0]);
  const diff = inside - outside;
  t.ok(Math.abs(diff - OFFSET) < 10, `uptime inside is ${OFFSET}s ahead (diff ${diff})`);
});

t.test('a time namespace without offsets', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'readlink /proc/self/ns/time; cat /proc/uptime'], (c) => { c.linux.namespaces.push({ type: 'time' }); });
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  const [ns, up] = r.stdout.trim().split('\n');
  t.not(ns, hostNs('time'), 'own time namespace');
  const diff = Number(up.split(' ')[0]) - Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  t.ok(Math.abs(diff) < 10, `same uptime (diff ${diff})`);
});

t.test("joining another container's namespaces by path", async (t) => {
  const { out, mount } = outDir(t);
  const kinds = { network: 'net', ipc: 'ipc', uts: 'uts', pid: 'pid', cgroup: 'cgroup' };
  const list = Object.values(kinds).join(' ');
  const a = fixture(t, root, ['sh', '-c', `for n in ${list}; do readlink /proc/self/ns/$n; done > /out/a.tmp; hostname >> /out/a.tmp; mv /out/a.tmp /out/a; sleep 30`], (c) => {
    c.hostname = 'container-a';
    c.mounts.push(mount);
  });
  t.equal(a.create().status, 0);
  t.equal(a.cli('start', a.id).status, 0);
  const pidA = a.state().pid;
  await until(() => fs.existsSync(path.join(out, 'a')), 10000, 'container a');

  const b = fixture(t, root, ['sh', '-c', `for n in ${list}; do readlink /proc/self/ns/$n; done; hostname; ls /proc | grep "^[0-9]" | sort -n | head -1`], (c) => {
    delete c.hostname;
    c.linux.namespaces = [
      ...Object.entries(kinds).map(([type, n]) => ({ type, path: `/proc/${pidA}/ns/${n}` })),
      { type: 'mount' },
    ];
  });
  const r = b.run();
  t.equal(r.status, 0, r.stderr);
  const inB = r.stdout.trim().split('\n');
  const inA = fs.readFileSync(path.join(out, 'a'), 'utf8').trim().split('\n');
  t.same(inB.slice(0, 6), inA, 'the same namespaces (and hostname) inside both');
  t.same(inA.slice(0, 5), Object.values(kinds).map((n) => fs.readlinkSync(`/proc/${pidA}/ns/${n}`)), "A's namespaces, as the host sees them");
  for (const n of Object.values(kinds)) t.not(fs.readlinkSync(`/proc/${pidA}/ns/${n}`), hostNs(n), `${n} is not the host's`);
  t.equal(inB[5], 'container-a', "B sees A's hostname");
  t.equal(inB[6], '1', "B sees A's init as pid 1");
});

t.test('joining a namespace that does not exist fails cleanly', async (t) => {
  const f = fixture(t, root, ['true'], (c) => {
    c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/999999999/ns/net' } : n));
  });
  const r = f.run();
  t.equal(r.status, 1);
  t.match(r.stderr, /^ocits: .*network.*\/proc\/999999999\/ns\/net.*\n$/);
  t.equal(r.stderr.split('\n').length, 2, 'one line');
  t.same(f.leftovers(), []);
});

t.test('without a mount namespace, root.path is still the container\'s root (chroot), and no mount is made', async (t) => {
  const f = fixture(t, root, ['sh', '-c', 'cat /marker; test -e /work && echo host-visible; ls /proc | wc -l'], (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'mount');
  });
  fs.writeFileSync(path.join(f.b.dir, 'rootfs', 'marker'), 'in the rootfs\n');
  const before = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').length;
  const r = f.run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'in the rootfs\n0\n', 'its files, not the host\'s; /proc not mounted');
  t.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').length, before, 'no mount added to the host');
});
