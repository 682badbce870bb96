// Helpers for tests that run as a real unprivileged user: the user itself
// (made here, idempotently, with its /etc/subuid and /etc/subgid ranges), a copy
// of the built ocits tree it can read when the clone is not (CI clones as root),
// bundles it owns, and running commands as it with a clean environment.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, makeRootfs } from './bundle.mjs';

export const ROOTLESS_USER = 'ocitsrl';
/** Where our ranges go when useradd did not add any (above what useradd hands out first). */
const RANGE_START = 400000, RANGE_SIZE = 65536;

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message || r.status}`);
  return r.stdout;
}

function ranges(file, name) {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { /* none yet */ }
  return text.split('\n').map((l) => l.split(':')).filter((f) => f.length === 3 && f[0] === name)
    .map((f) => ({ start: Number(f[1]), count: Number(f[2]) }));
}

function ensureRange(file, name) {
  if (ranges(file, name).length === 0) fs.appendFileSync(file, `${name}:${RANGE_START}:${RANGE_SIZE}\n`);
  return ranges(file, name)[0];
}

/** The unprivileged user (made if missing): { name, uid, gid, home, subuid, subgid }. */
export function ensureUser(name = ROOTLESS_USER) {
  // Test files run in parallel: another one may be adding the same user (useradd locks /etc/passwd).
  for (let i = 0; spawnSync('id', ['-u', name]).status !== 0; i++) {
    const r = spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', '--user-group', name], { encoding: 'utf8' });
    if (r.status !== 0 && i >= 20) throw new Error(`useradd ${name}: ${r.stderr}`);
    if (r.status !== 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  const uid = Number(sh('id', ['-u', name]).trim());
  const gid = Number(sh('id', ['-g', name]).trim());
  const home = sh('getent', ['passwd', name]).split(':')[5];
  return { name, uid, gid, home, subuid: ensureRange('/etc/subuid', name), subgid: ensureRange('/etc/subgid', name) };
}

/** Can `user` reach and read `file` (every directory on the way searchable)? */
function userCanRead(user, file) {
  return spawnSync('runuser', ['-u', user.name, '--', 'test', '-r', file]).status === 0;
}

let tree;
/**
 * An ocits tree the user can run: the clone itself when every directory on the way is
 * searchable (a worktree under /work), else a copy of what bin/ocits needs (bin, dist and
 * koffi's native module) in a world-readable temp dir, removed at exit.
 */
export function userOcits(user) {
  if (tree) return tree;
  if (userCanRead(user, path.join(REPO, 'dist/ocits.js')) && userCanRead(user, path.join(REPO, 'node_modules/koffi/package.json'))) {
    tree = path.join(REPO, 'bin/ocits');
    return tree;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-tree-'));
  fs.chmodSync(dir, 0o755);
  for (const p of ['bin', 'dist', 'node_modules/koffi', 'node_modules/@koromix']) {
    if (fs.existsSync(path.join(REPO, p))) fs.cpSync(path.join(REPO, p), path.join(dir, p), { recursive: true, preserveTimestamps: true });
  }
  fs.chmodSync(path.join(dir, 'node_modules'), 0o755);
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  tree = path.join(dir, 'bin/ocits');
  return tree;
}

/** The environment a login of `user` would have, plus `extra` (a value of undefined removes it). */
export function userEnv(user, extra = {}) {
  const env = {
    PATH: `${path.dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: user.home, USER: user.name, LOGNAME: user.name, LANG: 'C.UTF-8', ...extra,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

/**
 * Runs `cmd args` as `user` (runuser, environment replaced): { status, stdout, stderr }.
 * Output goes through files, not pipes: a container that create or run -d leaves behind
 * inherits them, and a pipe would not reach EOF until it exits.
 */
export function asUser(user, cmd, args, opts = {}) {
  const env = Object.entries(userEnv(user, opts.env)).map(([k, v]) => `${k}=${v}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-rl-out-'));
  const out = fs.openSync(path.join(dir, 'out'), 'w'), err = fs.openSync(path.join(dir, 'err'), 'w');
  try {
    const r = spawnSync('runuser', ['-u', user.name, '--', 'env', '-i', ...env, cmd, ...args], {
      stdio: ['pipe', out, err], cwd: opts.cwd ?? '/', input: opts.input ?? '', timeout: opts.timeout ?? 60000,
    });
    const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');
    return { status: r.status, signal: r.signal, stdout: read('out'), stderr: read('err') };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Recursively hands `dir` to the user. */
export function chownTree(dir, user) {
  sh('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
}

/**
 * A bundle the user owns: a busybox rootfs and the config `runc spec --rootless` writes
 * for this user (its uid/gid mapped to 0), without a terminal, running `args`, then
 * edited by `edit`. write(config) rewrites it; cleanup() removes it.
 */
export function userBundle(user, args, edit = () => {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-rl-bundle-'));
  makeRootfs(dir);
  chownTree(dir, user);
  const r = asUser(user, 'runc', ['spec', '--rootless'], { cwd: dir });
  if (r.status !== 0) throw new Error(`runc spec --rootless: ${r.stderr}`);
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  config.process.terminal = false;
  config.process.args = args;
  config.hostname = 'rootless';
  edit(config);
  const write = (c) => { fs.writeFileSync(file, JSON.stringify(c, null, 2)); fs.chownSync(file, user.uid, user.gid); };
  write(config);
  return { dir, config, write, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A state root the user owns (mode 0700) in a fresh temp dir. */
export function userRoot(user) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-rl-root-'));
  fs.chownSync(dir, user.uid, user.gid);
  return dir;
}
