// Rootless podman driving ocits: an unprivileged user (made by the test, with
// /etc/subuid and /etc/subgid ranges) runs `podman --runtime /path/to/ocits`,
// every scenario repeated with `--runtime runc` in the same run. podman runs the
// runtime as root of its own user namespace (the user's uid as 0, its ranges
// above); networking by slirp4netns; storage with native overlay, and
// fuse-overlayfs in a second podman. Everything podman makes stays in a temp dir
// (config, storage, XDG_RUNTIME_DIR); close() removes it and reports leftovers.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IMAGE, isRoot, missing, rootfsTar, mountsUnder, pidsWhere } from './lib.mjs';
import { ensureUser, userOcits, asUser, chownTree } from '../lib/rootless.mjs';

/** A rootless podman of `user`, all state in one temp dir; `fuse` stores images through fuse-overlayfs. */
function startRootlessPodman(user, ocits, { fuse = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-rlpodman-'));
  const q = (s) => JSON.stringify(s);
  for (const d of ['xdg', 'config', 'data', 'tmp']) fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'containers.conf'), `
[containers]
netns = "slirp4netns"
default_ulimits = ["nofile=1024:1024"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ${q(path.join(dir, 'events.log'))}
runtime_supports_json = ["crun", "runc", "ocits"]
tmp_dir = ${q(path.join(dir, 'tmp'))}
volume_path = ${q(path.join(dir, 'volumes'))}
lock_type = "file"

[network]
network_config_dir = ${q(path.join(dir, 'net'))}
`);
  fs.writeFileSync(path.join(dir, 'storage.conf'), `
[storage]
driver = "overlay"
rootless_storage_path = ${q(path.join(dir, 'storage'))}
${fuse ? `[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n` : ''}`);
  fs.writeFileSync(path.join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  const tar = rootfsTar(dir);
  chownTree(dir, user);
  const env = {
    CONTAINERS_CONF: path.join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: path.join(dir, 'registries.conf'),
    XDG_RUNTIME_DIR: path.join(dir, 'xdg'), XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_DATA_HOME: path.join(dir, 'data'),
  };
  const runtimes = { ocits, runc: 'runc' };
  const podman = (runtime, args, opts = {}) => asUser(user, 'podman', ['--runtime', runtimes[runtime], ...args], { timeout: 120000, ...opts, env });
  const imp = podman('runc', ['import', '-q', tar, IMAGE]);
  if (imp.status !== 0) throw new Error(`podman import: ${imp.stderr}`);

  let closed;
  const close = () => {
    if (closed) return closed;
    const left = [];
    const ps = podman('runc', ['ps', '-a', '--format', '{{.Names}}']).stdout.trim();
    if (ps) left.push(`containers not removed by their tests: ${ps.replace(/\n/g, ' ')}`);
    podman('runc', ['rm', '-a', '-f', '-t', '0']);
    podman('runc', ['rmi', '-a', '-f']);
    // podman's pause process (argv "podman") holds its user namespace: it, and anything else
    // started with our environment or naming our dir, goes; only the pause process is expected.
    const ours = pidsWhere((argv) => argv.some((a) => a.includes(dir)));
    for (const pid of withEnvUnder(dir)) if (!ours.some((p) => p.pid === pid)) ours.push({ pid, argv: argvOf(pid) });
    for (const { pid } of ours) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    left.push(...ours.filter((p) => p.argv.join(' ') !== 'podman').map((p) => `process ${p.pid}: ${p.argv.join(' ')}`));
    const mounts = mountsUnder(dir);
    if (mounts.length) left.push(...mounts.map((m) => `mount ${m}`));
    fs.rmSync(dir, { recursive: true, force: true });
    if (fs.existsSync(dir)) left.push(`dir ${dir}`);
    closed = left;
    return left;
  };
  return { dir, env, podman, close };
}

function argvOf(pid) {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { return []; }
}

/** Processes whose environment names `dir` (podman's, conmon's: CONTAINERS_CONF, XDG_RUNTIME_DIR). */
function withEnvUnder(dir) {
  const out = [];
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)) {
    let env = '';
    try { env = fs.readFileSync(`/proc/${name}/environ`, 'utf8'); } catch { continue; }
    if (env.split('\0').some((e) => e.includes(`=${dir}/`))) out.push(Number(name));
  }
  return out;
}

const need = missing(['podman', 'conmon', 'runc', 'tar', 'slirp4netns', 'fuse-overlayfs', 'newuidmap', 'runuser']);
if (!isRoot || need.length) {
  t.fail(!isRoot ? 'the test runs as root (it makes the user, then runs podman as it)' : `missing ${need.join(', ')} (run scripts/setup.sh)`);
} else {
  const user = ensureUser();
  const ocits = userOcits(user);
  const env = startRootlessPodman(user, ocits);
  t.teardown(() => env.close());
  const mapLines = (s) => s.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const podmanNs = [[0, user.uid, 1], [1, user.subuid.start, user.subuid.count]];

  for (const rt of ['ocits', 'runc']) {
    const podman = (args, opts) => env.podman(rt, args, opts);
    const test = (scenario, fn) => t.test(`${rt}: ${scenario}`, fn);
    const runOut = (flags, cmd) => podman(['run', '--rm', ...flags, IMAGE, ...cmd]);

    test('run --rm: output, exit status, the user namespace podman made', async (t) => {
      const r = runOut([], ['sh', '-c', 'echo "hello from $(cat /proc/1/comm) pid $$"; id; cat /proc/self/uid_map; echo to-stderr >&2; exit 3']);
      t.equal(r.status, 3, 'exit status of the command');
      const [hello, id, ...map] = r.stdout.trim().split('\n');
      t.equal(hello, 'hello from sh pid 1');
      t.match(id, /^uid=0\(root\) gid=0\(root\)/);
      t.same(mapLines(map.join('\n')), podmanNs, 'uid 0 is the user, then its /etc/subuid range');
      t.match(r.stderr, /to-stderr\n$/);
      const st = runOut([], ['sh', '-c', 'grep -E "^Cap(Eff|Bnd)" /proc/self/status; ls -l /dev/null | cut -c1-10']);
      t.equal(st.status, 0, st.stderr);
      t.match(st.stdout, /^CapEff:\s+00000000a80425fb$/m, "podman's default capabilities (containers.conf), no more");
      t.match(st.stdout, /^crw-rw-rw-$/m, '/dev/null there (a bind of the host\'s: no mknod in a user namespace)');
    });

    test('--userns keep-id: the user is itself inside', async (t) => {
      const r = runOut(['--userns', 'keep-id'], ['sh', '-c', 'id -u; id -g; cat /proc/self/uid_map']);
      t.equal(r.status, 0, r.stderr);
      const [uid, gid, ...map] = r.stdout.trim().split('\n');
      t.equal(Number(uid), user.uid);
      t.equal(Number(gid), user.gid);
      t.same(mapLines(map.join('\n'))[1], [user.uid, 0, 1], 'the container\'s uid USER is podman\'s 0, i.e. the user on the host');
    });

    test('slirp4netns: a network namespace of its own with a tap0 device', async (t) => {
      const r = runOut([], ['sh', '-c', 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort; ip -4 addr show tap0 | grep -o "inet [0-9./]*"']);
      t.equal(r.status, 0, r.stderr);
      t.equal(r.stdout, 'lo\ntap0\ninet 10.0.2.100/24\n');
    });

    test('create, start, exec, stop, rm', async (t) => {
      const name = `rl-${rt}-${process.pid}`;
      const c = podman(['create', '--name', name, IMAGE, 'sleep', '1000']);
      t.equal(c.status, 0, c.stderr);
      t.equal(podman(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim(), 'created');
      const s = podman(['start', name]);
      t.equal(s.status, 0, s.stderr);
      t.equal(podman(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim(), 'running');
      const e = podman(['exec', name, 'sh', '-c', 'echo exec-ok $(id -u); cat /proc/1/cmdline | tr "\\0" " "']);
      t.equal(e.status, 0, e.stderr);
      t.equal(e.stdout, 'exec-ok 0\nsleep 1000 ', 'exec joins the running container');
      const ex = podman(['exec', name, 'sh', '-c', 'exit 7']);
      t.equal(ex.status, 7, 'exec exit status');
      const stop = podman(['stop', '-t', '1', name]);
      t.equal(stop.status, 0, stop.stderr);
      t.equal(podman(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim(), 'exited');
      const rm = podman(['rm', name]);
      t.equal(rm.status, 0, rm.stderr);
      t.not(podman(['inspect', name]).status, 0, 'gone');
    });

    test('a missing command exits 127', async (t) => {
      const r = runOut([], ['nosuchcmd']);
      t.equal(r.status, 127, r.stderr);
    });
  }

  t.test('fuse-overlayfs storage, both runtimes', async (t) => {
    const fuse = startRootlessPodman(user, ocits, { fuse: true });
    t.teardown(() => fuse.close());
    for (const rt of ['ocits', 'runc']) {
      const r = fuse.podman(rt, ['run', '--rm', IMAGE, 'sh', '-c', 'grep " / / " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1; echo x > /new && cat /new']);
      t.equal(r.status, 0, `${rt}: ${r.stderr}`);
      t.equal(r.stdout, 'fuse.fuse-overlayfs\nx\n', `${rt}: the rootfs is a fuse-overlayfs mount, writable`);
    }
    t.same(fuse.close(), [], 'nothing left behind');
  });

  t.test('nothing left behind', async (t) => {
    t.same(env.close(), [], 'containers, processes, mounts, temp dirs');
  });
}
