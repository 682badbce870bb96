// The corpus of real engine configs (test/fixtures/corpus, or $OCITS_CORPUS) and
// how one config becomes a runnable bundle: placeholders substituted (see the
// corpus README), a busybox rootfs, the probe as the process, a cgroup path and
// id unique to the run. Each runtime gets its own bundle dir (same layout).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, makeRootfs } from '../../lib/bundle.mjs';
import { probeScript } from './probe.mjs';

/** The corpus: the copy in the repository (test/fixtures/corpus), or $OCITS_CORPUS. */
export const CORPUS = process.env.OCITS_CORPUS ?? path.join(REPO, 'test/fixtures/corpus');
export const ENGINES = ['podman', 'containerd', 'cri'];

/** Every config (`engine/name.json`, not *.process.json), sorted. */
export function corpusConfigs() {
  const out = [];
  for (const e of ENGINES) {
    const dir = path.join(CORPUS, e);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.json') && !f.endsWith('.process.json')) out.push(`${e}/${f}`);
  }
  return out;
}

/**
 * Configs of our own (issue 10): what `runc spec` and `crun spec` write, with and without
 * --rootless, generated into a temp dir as own/<tool>-spec[-rootless].json. Returns the dir.
 */
export function makeOwnConfigs() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-diff-own-'));
  fs.mkdirSync(path.join(dir, 'own'));
  for (const tool of ['runc', 'crun']) {
    for (const rootless of [false, true]) {
      const work = fs.mkdtempSync(path.join(dir, 'spec-'));
      const r = spawnSync(tool, ['spec', ...(rootless ? ['--rootless'] : [])], { cwd: work, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${tool} spec: ${r.stderr || r.error}`);
      fs.renameSync(path.join(work, 'config.json'), path.join(dir, 'own', `${tool}-spec${rootless ? '-rootless' : ''}.json`));
      fs.rmSync(work, { recursive: true });
    }
  }
  ownDir = dir;
  return dir;
}
let ownDir = null;
const sourceOf = (rel) => (rel.startsWith('own/') ? path.join(ownDir, rel) : path.join(CORPUS, rel));

/** Every exec process file: `engine/name.process.json`. */
export function corpusProcesses() {
  const out = [];
  for (const e of ENGINES) {
    const dir = path.join(CORPUS, e);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.process.json')) out.push(`${e}/${f}`);
  }
  return out;
}

/** The config each engine's execs run against (as in the corpus README). */
export const EXEC_BASE = { podman: 'podman/run-detach-logs.json', containerd: 'containerd/run-detach-logs.json', cri: 'cri/container.json' };

/** The global flags and the create/delete shapes each engine uses (CALLS.txt). */
export function engineCalls(engine, bundle) {
  if (engine === 'podman') {
    return { global: [], createLog: ['--log-format=json', '--log', path.join(bundle.state, 'oci-log')], deletes: [['delete', '--force']] };
  }
  const log = ['--log', path.join(bundle.dir, 'log.json'), '--log-format', 'json'];
  return { global: log, createLog: [], deletes: [['delete'], ['delete', '--force']] };
}

/** Configs whose own args are the point (create must fail as it did under the engine). */
const KEEP_ARGS = ['podman/run-cmd-not-found.json'];

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh', 'user:x:1000:1000:user:/home/user:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false', '',
].join('\n');

/** The host uid that uid 0 of a user-namespaced config maps to (null without a user ns). */
function rootHostId(maps) {
  const m = (maps ?? []).find((x) => x.containerID === 0);
  return m ? m.hostID : null;
}

/**
 * Writes the bundle of `rel` for one runtime under a fresh dir `w`.
 * ctx: { runId, netns (path), podPid (pid whose namespaces CRI apps join) }.
 * Returns { w, dir, state, hostdir, id, cgroupLeaf, config, engine, shared: [mounts made] }.
 */
export function makeCorpusBundle(rel, runtime, ctx, { args } = {}) {
  const engine = rel.split('/')[0];
  const w = fs.mkdtempSync(path.join(os.tmpdir(), `ocits-diff-${runtime}-`));
  fs.chmodSync(w, 0o755); // a user namespace's root (a high host uid) must reach the rootfs
  const dir = path.join(w, 'bundle');
  const state = path.join(w, 'state');
  const sandbox = path.join(w, 'sandbox');
  const hostdir = path.join(w, 'hostdir');
  for (const d of [dir, state, sandbox, path.join(sandbox, 'shm'), hostdir, path.join(dir, 'shm')]) fs.mkdirSync(d, { recursive: true });
  for (const f of ['hosts', 'hostname', 'resolv.conf']) {
    fs.writeFileSync(path.join(state, f), `${f}\n`);
    fs.writeFileSync(path.join(sandbox, f), `${f}\n`);
  }
  fs.writeFileSync(path.join(state, '.containerenv'), 'engine="podman"\n');

  let text = fs.readFileSync(sourceOf(rel), 'utf8')
    .replaceAll('@BUNDLE@', dir).replaceAll('@STATE@', state).replaceAll('@SANDBOX@', sandbox)
    .replaceAll('@HOSTDIR@', hostdir).replaceAll('@NETNS@', ctx.netns)
    .replace(/\/run\/netns\/netns-[0-9a-f-]+/g, ctx.netns)
    .replace(/\/proc\/\d+\/ns\//g, `/proc/${ctx.podPid}/ns/`)
    .replaceAll('/usr/libexec/podman/catatonit', path.join(hostdir, 'catatonit'));
  const config = JSON.parse(text);
  fs.writeFileSync(path.join(hostdir, 'catatonit'), '');

  const id = `${ctx.runId}-${runtime}-${path.basename(rel, '.json')}`.slice(0, 120);
  const cgroupLeaf = `${ctx.runId}-${runtime}-${path.basename(rel, '.json')}`;
  if (config.linux?.cgroupsPath) config.linux.cgroupsPath = `/${ctx.runId}${path.dirname(config.linux.cgroupsPath)}/${cgroupLeaf}`.replace(/\/+/g, '/');

  // rootfs where root.path says (relative to the bundle or absolute).
  const rootPath = path.resolve(dir, config.root.path);
  fs.mkdirSync(path.dirname(rootPath), { recursive: true });
  const made = makeRootfs(path.dirname(rootPath));
  if (made !== rootPath) fs.renameSync(made, rootPath);
  // Hard links, not symlinks: cri/masked-paths.json masks /bin/ls, which must not mask busybox itself.
  for (const a of fs.readdirSync(path.join(rootPath, 'bin'))) {
    if (a === 'busybox') continue;
    fs.unlinkSync(path.join(rootPath, 'bin', a));
    fs.linkSync(path.join(rootPath, 'bin/busybox'), path.join(rootPath, 'bin', a));
  }
  fs.writeFileSync(path.join(rootPath, 'etc/passwd'), PASSWD);
  fs.writeFileSync(path.join(rootPath, 'etc/group'), 'root:x:0:\ntty:x:5:\nuser:x:1000:\nnogroup:x:65534:\n');
  fs.mkdirSync(path.join(rootPath, 'home/user'), { recursive: true });
  fs.chownSync(path.join(rootPath, 'home/user'), 1000, 1000);

  // Bind sources under @HOSTDIR@: dirs; shared mount points for rshared/rslave binds.
  const shared = [];
  for (const m of config.mounts ?? []) {
    if (!m.source?.startsWith(hostdir) || m.source === path.join(hostdir, 'catatonit')) continue;
    fs.mkdirSync(m.source, { recursive: true });
    const opts = m.options ?? [];
    if (opts.some((o) => /^r?(shared|slave)$/.test(o))) {
      spawnSync('mount', ['--bind', m.source, m.source]);
      spawnSync('mount', ['--make-shared', m.source]);
      shared.push(m.source);
    }
  }
  // The hook script of run-hooks.json: records "<stage> <state JSON>" per call.
  const hookLog = path.join(hostdir, 'hooks.log');
  fs.mkdirSync(path.join(hostdir, 'oci-hooks'), { recursive: true });
  fs.writeFileSync(path.join(hostdir, 'oci-hooks/record.sh'), `#!/bin/sh\necho "$1 $(cat)" >> ${hookLog}\n`, { mode: 0o755 });

  const hostRoot = rootHostId(config.linux?.uidMappings);
  if (hostRoot !== null) {
    const gid = rootHostId(config.linux?.gidMappings) ?? hostRoot;
    spawnSync('chown', ['-R', '-h', `${hostRoot}:${gid}`, rootPath]);
  }

  if (!KEEP_ARGS.includes(rel)) config.process.args = args ?? ['/bin/sh', '-c', probeScript(config)];
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const cleanup = () => {
    for (const s of shared) spawnSync('umount', ['-l', s]);
    fs.rmSync(w, { recursive: true, force: true });
  };
  return { w, dir, state, hostdir, hookLog, id, cgroupLeaf, config, engine, rootPath, shared, cleanup };
}

/** A process file for `exec --process`: the corpus one with the probe as args (no sleep at the end). */
export function makeProcessFile(rel, bundle, baseConfig) {
  const proc = JSON.parse(fs.readFileSync(path.join(CORPUS, rel), 'utf8'));
  proc.args = ['/bin/sh', '-c', probeScript(baseConfig, { tail: 'exit 0' })];
  const file = path.join(bundle.w, `${path.basename(rel)}`);
  fs.writeFileSync(file, JSON.stringify(proc));
  return { file, proc };
}
