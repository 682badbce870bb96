// Test helpers: busybox bundles in temporary directories, and running the built
// ocits binary. Integration tests need root and Debian's busybox-static
// (installed by scripts/setup.sh).
import { spawnSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OCITS = path.join(REPO, 'bin/ocits');
export const BUSYBOX = '/usr/bin/busybox';
export const isRoot = process.getuid() === 0;

let applets;
function busyboxApplets() {
  applets ??= spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
  return applets;
}

/** A busybox rootfs (bin/ with every applet) in a new temp dir. */
export function makeRootfs(dir) {
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'etc', 'tmp', 'root']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const a of busyboxApplets()) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  fs.writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  return rootfs;
}

/** runc's default config (as `ocits spec` writes it), running `args`. */
export function baseConfig(args = ['true']) {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: false, user: { uid: 0, gid: 0 }, args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/', capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }], noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'ocits-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/**
 * A bundle in a fresh temp dir: busybox rootfs + config (baseConfig(args) edited by `edit`).
 * Returns { dir, rootfs, config, write(config) }. Removed by cleanup().
 */
export function makeBundle(args, edit = (c) => c) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-bundle-'));
  const rootfs = makeRootfs(dir);
  const base = baseConfig(args);
  const config = edit(base) ?? base; // edit may change the config in place and return nothing
  const write = (c) => fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c, null, 2));
  write(config);
  return { dir, rootfs, config, write, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

let counter = 0;
/** A container id unique to this test process. */
export function uniqueId(prefix = 't') {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** A state root in a temp dir, so tests never see each other's containers. */
export function makeRoot() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-root-'));
}

/**
 * The environment for ocits: the test's own, without what tap adds for its child
 * processes (NODE_OPTIONS=--import ... would load tap's module hooks, on their
 * own thread, into the runtime that fork()s itself).
 */
export function ocitsEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith('_TAPJS_')) delete env[k];
  return env;
}

/** Runs ocits synchronously: { status, stdout, stderr }. */
export function ocits(args, opts = {}) {
  const r = spawnSync(OCITS, args, { encoding: 'utf8', timeout: opts.timeout ?? 60000, input: opts.input ?? '', cwd: opts.cwd, env: opts.env ?? ocitsEnv() });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs ocits asynchronously (for run with signals): returns the ChildProcess. */
export function ocitsSpawn(args, opts = {}) {
  return spawn(OCITS, args, { stdio: ['ignore', 'pipe', 'pipe'], env: ocitsEnv(), ...opts });
}

/** `ocits --root ROOT run --bundle DIR ID`: the container's output and exit status. */
export function runIn(root, bundle, id = uniqueId(), extra = []) {
  return ocits(['--root', root, 'run', '--bundle', bundle.dir, ...extra, id]);
}

/** Host-side traces a container could leave: mounts under the bundle, cgroups named after the id, state dirs. */
export function leftovers(root, bundleDir, id) {
  const found = [];
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(bundleDir));
  found.push(...mounts.map((m) => `mount: ${m.split(' ')[4]}`));
  if (fs.existsSync(path.join(root, id))) found.push(`state dir ${path.join(root, id)}`);
  if (fs.existsSync(path.join(root, `.${id}.lock`))) found.push(`lock file ${path.join(root, `.${id}.lock`)}`);
  for (const base of cgroupMountpoints()) {
    const hit = findDir(base, id, 4);
    if (hit) found.push(`cgroup ${hit}`);
  }
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)) {
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { continue; }
    if (cmd.split('\0').includes(id)) found.push(`process ${pid}: ${cmd.replace(/\0/g, ' ')}`);
  }
  return found;
}

/** Every cgroup hierarchy this host mounts under /sys/fs/cgroup (v1, hybrid or pure v2), from mountinfo. */
export function cgroupMountpoints() {
  const points = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' '))
    .filter((f) => /^cgroup2?$/.test(f[f.indexOf('-') + 1]) && /^\/sys\/fs\/cgroup(\/|$)/.test(f[4]))
    .map((f) => f[4]);
  return [...new Set(points)];
}

function findDir(base, name, depth) {
  if (depth < 0) return null;
  let entries;
  try { entries = fs.readdirSync(base, { withFileTypes: true }); } catch { return null; }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const p = path.join(base, e.name);
    if (e.name === name) return p;
    const sub = findDir(p, name, depth - 1);
    if (sub) return sub;
  }
  return null;
}

/**
 * Runs ocits with its stdout/stderr going to files in `dir` (a created or detached
 * container inherits them, so pipes would never reach EOF). Returns the first
 * output and out()/err() to read the files again later (the container's output).
 */
export function ocitsToFiles(args, dir, opts = {}) {
  const tag = `${Date.now()}-${++counter}`;
  const outFile = path.join(dir, `ocits-${tag}.out`);
  const errFile = path.join(dir, `ocits-${tag}.err`);
  const out = fs.openSync(outFile, 'w');
  const err = fs.openSync(errFile, 'w');
  let r;
  try {
    r = spawnSync(OCITS, args, { stdio: ['ignore', out, err], timeout: opts.timeout ?? 60000, env: opts.env ?? ocitsEnv() });
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  const read = (f) => fs.readFileSync(f, 'utf8');
  return { status: r.status, signal: r.signal, stdout: read(outFile), stderr: read(errFile), out: () => read(outFile), err: () => read(errFile) };
}

/** Polls f() every 20 ms until it returns a truthy value; throws after timeoutMs. */
export async function until(f, timeoutMs = 10000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One container for one test: a bundle (makeBundle(args, edit)) and a unique id
 * in state root `root`. Teardown force-deletes the container and removes the bundle.
 * cli(...args) runs `ocits --root root ...args`; create()/run() go through files.
 */
export function fixture(t, root, args, edit) {
  const b = makeBundle(args, edit);
  const id = uniqueId();
  t.teardown(() => {
    ocits(['--root', root, 'delete', '--force', id]);
    b.cleanup();
  });
  return {
    b, id, root,
    cli: (...a) => ocits(['--root', root, ...a]),
    create: (extra = []) => ocitsToFiles(['--root', root, 'create', '--bundle', b.dir, ...extra, id], b.dir),
    run: (extra = []) => runIn(root, b, id, extra),
    state: () => {
      const r = ocits(['--root', root, 'state', id]);
      return r.status === 0 ? JSON.parse(r.stdout) : null;
    },
    leftovers: () => leftovers(root, b.dir, id),
  };
}

/** A state root for one test file, removed when the file's tests end. */
export function fileRoot(t) {
  const root = makeRoot();
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  return root;
}
