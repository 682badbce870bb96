// Helpers for the engine tests: podman (via conmon) and containerd (via its runc
// shim v2) driving ocits, and runc for parity. Each engine runs fully isolated in
// a temp dir (its own config, storage, state, sockets, cgroup parent) and close()
// removes everything it made, then reports whatever it could not remove.
// Needs root and scripts/setup.sh (podman, conmon, containerd, runc).
import { spawnSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeRootfs, OCITS } from '../lib/bundle.mjs';

export { OCITS };
export const RUNC = '/usr/sbin/runc';
export const CRUN = '/usr/bin/crun';
/** The runtimes every scenario runs with: ocits, and runc as the reference. */
export const RUNTIMES = [
  { name: 'ocits', path: OCITS },
  { name: 'runc', path: RUNC },
];
export const IMAGE = 'localhost/busybox:test';
export const isRoot = process.getuid() === 0;

/** Tools from `bins` that are not on PATH (empty when all are there). */
export function missing(bins) {
  return bins.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
}

/**
 * process.env without tap's variables: tap sets NODE_OPTIONS=--import=<its
 * processinfo hook>, which every Node process below us (ocits, started by the
 * engines) would load, slowing each runtime call and writing into .tap/.
 */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(NODE_OPTIONS$|TAP|_TAPJS)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Runs a command synchronously: { status, signal, stdout, stderr }. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8', timeout: opts.timeout ?? 60000, input: opts.input ?? '', env: opts.env ?? cleanEnv(), cwd: opts.cwd,
  });
  if (r.error && r.error.code !== 'ETIMEDOUT') throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut: r.error?.code === 'ETIMEDOUT' };
}

/** Runs `cmdline` (one shell string) under script(1), i.e. with a real pty as its terminal, stdin from a pipe. */
export function runWithPty(cmdline, opts = {}) {
  return run('script', ['-qec', cmdline, '/dev/null'], opts);
}

/** Shell-quotes args into one command line (for script -c). */
export function shellJoin(args) {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Polls fn until it returns a truthy value (returned) or timeoutMs passes (returns the last value). */
export async function waitFor(fn, timeoutMs = 10000, stepMs = 100) {
  const end = Date.now() + timeoutMs;
  let v;
  while (!(v = fn()) && Date.now() < end) await new Promise((r) => setTimeout(r, stepMs));
  return v;
}

/** A busybox rootfs tarball (the files of test/lib/bundle.mjs makeRootfs) in dir: its path. */
export function rootfsTar(dir) {
  const base = fs.mkdtempSync(path.join(dir, 'rootfs-'));
  const rootfs = makeRootfs(base);
  const tar = path.join(dir, 'rootfs.tar');
  const r = run('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.']);
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  fs.rmSync(base, { recursive: true, force: true });
  return tar;
}

/**
 * An OCI image layout archive (for `ctr images import`) of the busybox rootfs:
 * one uncompressed layer, a config with PATH set, the index naming it `name`.
 */
export function ociArchive(dir, name = IMAGE) {
  const layout = fs.mkdtempSync(path.join(dir, 'oci-'));
  const blobs = path.join(layout, 'blobs/sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (buf) => {
    const digest = crypto.createHash('sha256').update(buf).digest('hex');
    fs.writeFileSync(path.join(blobs, digest), buf);
    return { digest: `sha256:${digest}`, size: buf.length };
  };
  const layer = put(fs.readFileSync(rootfsTar(dir)));
  const config = put(Buffer.from(JSON.stringify({
    architecture: goArch(), os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })));
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest,
      annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').pop() },
    }],
  }));
  const archive = path.join(dir, 'busybox-oci.tar');
  const r = run('tar', ['--numeric-owner', '-C', layout, '-cf', archive, '.']);
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  fs.rmSync(layout, { recursive: true, force: true });
  return archive;
}

function goArch() {
  return { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }[process.arch] ?? process.arch;
}

/** Host pids whose command line satisfies pred(argv). */
export function pidsWhere(pred) {
  const found = [];
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)) {
    let argv;
    try { argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { continue; }
    if (argv.length && pred(argv)) found.push({ pid: Number(pid), argv });
  }
  return found;
}

/** Mount points at or below dir, deepest first. */
export function mountsUnder(dir) {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
    .map((l) => l.split(' ')[4].replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

/** The cgroup v1/v2 hierarchies mounted under /sys/fs/cgroup (the cgroup root itself on pure v2). */
function cgroupHierarchies() {
  const out = new Set();
  for (const l of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = l.split(' - ');
    if (!post) continue;
    const type = post.split(' ')[0];
    if (type === 'cgroup' || type === 'cgroup2') out.add(pre.split(' ')[4]);
  }
  return [...out];
}

/** Existing cgroup dirs named `rel` (relative to each hierarchy's root). */
export function cgroupDirs(rel) {
  return cgroupHierarchies().map((h) => path.join(h, rel)).filter((d) => fs.existsSync(d));
}

/** Removes the cgroup tree `rel` in every hierarchy (children first); kills what is still inside. */
export function removeCgroups(rel) {
  const rmTree = (dir) => {
    let entries = [];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) if (e.isDirectory()) rmTree(path.join(dir, e.name));
    try { fs.rmdirSync(dir); } catch {
      // still populated (should not happen): kill its processes, then retry
      try {
        for (const p of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
        }
      } catch { /* no procs file */ }
      spawnSync('sleep', ['0.2']);
      try { fs.rmdirSync(dir); } catch { /* reported by the caller */ }
    }
  };
  for (const d of cgroupDirs(rel)) rmTree(d);
}

/** Entries of a directory (empty if it does not exist). */
function entries(dir) {
  try { return fs.readdirSync(dir); } catch { return []; }
}

/**
 * Runtime state the given container ids left in the runtimes' default roots
 * (/run/ocits, /run/runc): state dirs, lock files, anything naming an id.
 * Matching by id, not by what appeared meanwhile: other suites may run concurrently.
 */
function runtimeStateOf(ids) {
  const found = [];
  for (const root of ['/run/ocits', '/run/runc']) {
    for (const e of entries(root)) if ([...ids].some((id) => e.includes(id))) found.push(`${root}/${e}`);
  }
  return found;
}

function killPids(list, signal = 'SIGKILL') {
  for (const { pid } of list) { try { process.kill(pid, signal); } catch { /* gone */ } }
}

function unmountAll(dir) {
  for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m]);
}

// ---------------------------------------------------------------- podman

/**
 * A podman with its own containers.conf and storage in a temp dir, the runtimes
 * `ocits` (bin/ocits) and `runc` registered by name, cgroupfs cgroups under a
 * private parent, and the busybox image imported as IMAGE.
 * Returns { dir, cgroupParent, podman(runtime, args, opts), podmanPty(runtime, args, opts), close() }.
 * close() removes everything and returns the leftovers it found (expected: []).
 */
export function startPodman() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-podman-'));
  const tag = path.basename(dir);
  const cgroupParent = `/${tag}`;
  const q = (s) => JSON.stringify(s);
  const hasCrun = fs.existsSync(CRUN); // only the bench uses it
  fs.writeFileSync(path.join(dir, 'containers.conf'), `
[containers]
# this sandbox lacks CAP_SYS_RESOURCE: podman's default rlimits (1048576) fail with every runtime
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
# host network by default: no CNI bridge or iptables rules to leave behind
netns = "host"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ${q(path.join(dir, 'events.log'))}
runtime = "ocits"
runtime_supports_json = ["crun", "runc", "ocits"]
tmp_dir = ${q(path.join(dir, 'tmp'))}
static_dir = ${q(path.join(dir, 'storage/libpod'))}
volume_path = ${q(path.join(dir, 'volumes'))}
lock_type = "file"

[engine.runtimes]
ocits = [${q(OCITS)}]
runc = [${q(RUNC)}]${hasCrun ? `\ncrun = [${q(CRUN)}]` : ''}

[network]
network_config_dir = ${q(path.join(dir, 'net'))}
`);
  fs.writeFileSync(path.join(dir, 'storage.conf'), `
[storage]
driver = "overlay"
graphroot = ${q(path.join(dir, 'storage'))}
runroot = ${q(path.join(dir, 'run'))}
`);
  fs.writeFileSync(path.join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  const env = cleanEnv({
    CONTAINERS_CONF: path.join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: path.join(dir, 'registries.conf'),
  });
  const argv = (runtime, args) => {
    const a = ['--runtime', runtime, ...args];
    // every container goes under our cgroup parent, so close() can remove it
    const i = a.findIndex((x) => x === 'run' || x === 'create');
    if (i >= 0) a.splice(i + 1, 0, '--cgroup-parent', cgroupParent);
    return a;
  };
  const podman = (runtime, args, opts = {}) => run('podman', argv(runtime, args), { ...opts, env });
  const podmanPty = (runtime, args, opts = {}) => runWithPty(shellJoin(['podman', ...argv(runtime, args)]), { ...opts, env });

  const imp = podman('ocits', ['import', '-q', rootfsTar(dir), IMAGE]);
  if (imp.status !== 0) throw new Error(`podman import: ${imp.stderr}`);

  let closed = null;
  const close = () => {
    if (closed) return closed;
    const left = [];
    const ps = podman('ocits', ['ps', '-a', '--format', '{{.Names}}']).stdout.trim();
    if (ps) left.push(`containers not removed by their tests: ${ps.replace(/\n/g, ' ')}`);
    // every container this podman ever made, from its events log (ids name the runtime state)
    const ids = new Set();
    try {
      for (const m of fs.readFileSync(path.join(dir, 'events.log'), 'utf8').matchAll(/"ID":"([0-9a-f]{64})"/g)) ids.add(m[1]);
    } catch { /* no events */ }
    podman('ocits', ['rm', '-a', '-f', '-t', '0']);
    podman('ocits', ['rmi', '-a', '-f']);
    const ours = (a) => a.some((x) => x.includes(dir) || x.includes(tag));
    const procs = pidsWhere(ours);
    if (procs.length) left.push(...procs.map((p) => `process ${p.pid}: ${p.argv.join(' ')}`));
    killPids(procs);
    const mounts = mountsUnder(dir);
    if (mounts.length) left.push(...mounts.map((m) => `mount ${m}`));
    unmountAll(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    removeCgroups(cgroupParent);
    left.push(...cgroupDirs(cgroupParent).map((d) => `cgroup ${d}`));
    left.push(...runtimeStateOf(ids));
    if (fs.existsSync(dir)) left.push(`dir ${dir}`);
    closed = left;
    return left;
  };
  return { dir, cgroupParent, env, podman, podmanPty, close, runtimes: ['ocits', 'runc', ...(hasCrun ? ['crun'] : [])] };
}

// ---------------------------------------------------------------- containerd

/**
 * A containerd of our own (temp root, state, socket, opt dir; CRI disabled),
 * the busybox image imported as IMAGE in namespace `ns`.
 * Returns { dir, sock, ns, ctr(args, opts), ctrPty(args, opts), runtimeFlags(runtime), close() }.
 * ctr commands go to this containerd and namespace (run and task exec with
 * --fifo-dir in our dir); runtimeFlags gives `--runc-binary` and a private
 * `--runc-root` for `ctr run`.
 * close() (async) kills tasks, containerd and its shims, removes everything and
 * returns the leftovers it found (expected: []).
 */
export async function startContainerd() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-ctrd-'));
  const ns = path.basename(dir).replace(/[^a-zA-Z0-9-]/g, '-');
  const sock = path.join(dir, 'containerd.sock');
  const fifoDir = path.join(dir, 'fifo');
  fs.mkdirSync(fifoDir);
  const q = (s) => JSON.stringify(s);
  fs.writeFileSync(path.join(dir, 'config.toml'), `
version = 2
root = ${q(path.join(dir, 'root'))}
state = ${q(path.join(dir, 'state'))}
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = ${q(sock)}
[plugins."io.containerd.internal.v1.opt"]
  path = ${q(path.join(dir, 'opt'))}
`);
  const logFd = fs.openSync(path.join(dir, 'containerd.log'), 'w');
  const daemon = spawn('containerd', ['--config', path.join(dir, 'config.toml'), '--root', path.join(dir, 'root'), '--state', path.join(dir, 'state'), '--address', sock],
    { stdio: ['ignore', logFd, logFd], env: cleanEnv() });
  fs.closeSync(logFd);
  let exited = false;
  daemon.on('exit', () => { exited = true; });

  // once containerd is gone, ctr would only wait for its socket: fail at once
  const down = { status: null, signal: null, stdout: '', stderr: 'containerd is not running', timedOut: false };
  const ids = new Set(); // every container id given to `ctr run`
  const argv = (args) => {
    if (args[0] === 'run' && args.includes(IMAGE)) ids.add(args[args.indexOf(IMAGE) + 1]);
    // IO fifos in our dir, not /run/containerd/fifo
    const n = args[0] === 'run' ? 1 : args[0] === 'task' && args[1] === 'exec' ? 2 : 0;
    const a = n ? [...args.slice(0, n), '--fifo-dir', fifoDir, ...args.slice(n)] : args;
    return ['-a', sock, '-n', ns, ...a];
  };
  const ctr = (args, opts = {}) => { const a = argv(args); return exited ? down : run('ctr', a, opts); };
  const ctrPty = (args, opts = {}) => { const a = argv(args); return exited ? down : runWithPty(shellJoin(['ctr', ...a]), opts); };
  // the shim's socket: /run/containerd/s/sha256(<containerd address>/<ns>/<id>)
  const shimSocket = (id) => `/run/containerd/s/${crypto.createHash('sha256').update(`${sock}/${ns}/${id}`).digest('hex')}`;
  const runtimeFlags = (rt) => ['--runc-binary', rt.path, '--runc-root', path.join(dir, `runc-root-${rt.name}`)];

  let closed = null;
  const close = async () => {
    if (closed) return closed;
    const left = [];
    if (!exited) {
      const tasks = ctr(['task', 'ls', '-q']).stdout.trim().split('\n').filter(Boolean);
      const ctrs = ctr(['container', 'ls', '-q']).stdout.trim().split('\n').filter(Boolean);
      if (ctrs.length) left.push(`containers not removed by their tests: ${ctrs.join(' ')}`);
      for (const id of tasks) { ctr(['task', 'kill', '-a', '-s', 'SIGKILL', id]); }
      for (const id of tasks) { await waitFor(() => !ctr(['task', 'ls']).stdout.split('\n').some((l) => l.startsWith(id + ' ') && /RUNNING/.test(l)), 5000); ctr(['task', 'delete', '-f', id]); }
      for (const id of ctrs) ctr(['container', 'rm', id]);
      ctr(['images', 'rm', IMAGE]);
      daemon.kill('SIGTERM');
      if (!(await waitFor(() => exited, 10000))) { daemon.kill('SIGKILL'); await waitFor(() => exited, 5000); }
    }
    const shims = pidsWhere((a) => a.some((x) => x.includes(dir)) || a.includes(sock));
    if (shims.length) left.push(...shims.map((p) => `process ${p.pid}: ${p.argv.join(' ')}`));
    killPids(shims);
    const mounts = mountsUnder(dir);
    if (mounts.length) left.push(...mounts.map((m) => `mount ${m}`));
    unmountAll(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    removeCgroups(ns);
    left.push(...cgroupDirs(ns).map((d) => `cgroup ${d}`));
    // runtime state belongs in our --runc-root: nothing may name our ids in the default roots
    left.push(...runtimeStateOf(ids), ...[...ids].map(shimSocket).filter((f) => fs.existsSync(f)).map((f) => `shim socket ${f}`));
    if (fs.existsSync(dir)) left.push(`dir ${dir}`);
    closed = left;
    return left;
  };

  try {
    const up = await waitFor(() => exited || (fs.existsSync(sock) && ctr(['version']).status === 0), 15000);
    if (!up || exited) throw new Error(`containerd did not start: ${fs.readFileSync(path.join(dir, 'containerd.log'), 'utf8').slice(-2000)}`);
    const imp = ctr(['images', 'import', ociArchive(dir)]);
    if (imp.status !== 0) throw new Error(`ctr images import: ${imp.stderr}`);
    const unpack = ctr(['images', 'ls', '-q']);
    if (!unpack.stdout.includes(IMAGE)) throw new Error(`image ${IMAGE} not imported: ${imp.stdout}${imp.stderr}${unpack.stdout}`);
  } catch (e) {
    await close();
    throw e;
  }
  return { dir, sock, ns, ctr, ctrPty, runtimeFlags, close };
}
