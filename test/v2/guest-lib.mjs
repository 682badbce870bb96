// Boots a pure cgroup v2 guest (qemu, software emulation) that shares this host's
// root filesystem read-only over 9p, runs test files in it and leaves their TAP
// output in a host directory. See docs/cgroup-v2-guest.md.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const QEMU = 'qemu-system-x86_64';
const BUSYBOX = '/usr/bin/busybox';

/** Modules the initramfs loads before the switch to the shared root, in no particular order. */
const MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

/**
 * The guest kernel: the one Debian's linux-image-amd64 (installed by setup.sh)
 * depends on, e.g. 6.1.0-57-amd64. Throws naming what is missing.
 */
export function guestKernel() {
  const q = spawnSync('dpkg-query', ['-W', '-f=${Depends}', 'linux-image-amd64'], { encoding: 'utf8' });
  const m = /linux-image-(\S+)/.exec(q.stdout ?? '');
  if (q.status !== 0 || !m) throw new Error('linux-image-amd64 is not installed (scripts/setup.sh installs it)');
  const release = m[1];
  const vmlinuz = `/boot/vmlinuz-${release}`;
  const modules = `/lib/modules/${release}`;
  for (const p of [vmlinuz, path.join(modules, 'modules.dep')]) {
    if (!fs.existsSync(p)) throw new Error(`${p} is missing (linux-image-${release} incomplete)`);
  }
  return { release, vmlinuz, modules };
}

/**
 * The module files to load, dependencies first, from modules.dep
 * ("kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko ..."; a module's own
 * dependencies are listed there in full, the ones to load last first).
 * Modules built into the kernel are not in modules.dep and are skipped.
 */
export function moduleLoadOrder(modulesDep, names) {
  const deps = new Map();
  for (const line of modulesDep.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    deps.set(line.slice(0, i), line.slice(i + 1).trim().split(/\s+/).filter(Boolean));
  }
  const byName = new Map([...deps.keys()].map((k) => [path.basename(k).replace(/\.ko(\.\w+)?$/, ''), k]));
  const order = [];
  const visit = (file) => {
    if (order.includes(file)) return;
    for (const d of [...(deps.get(file) ?? [])].reverse()) visit(d);
    order.push(file);
  };
  for (const n of names) if (byName.has(n)) visit(byName.get(n));
  return order;
}

/** Builds the initramfs (newc cpio, uncompressed) in `workDir`; returns its path. */
export function buildInitramfs(kernel, workDir) {
  const tree = path.join(workDir, 'initramfs');
  for (const d of ['bin', 'modules', 'proc', 'sys', 'dev', 'lower', 'upper', 'newroot', 'job']) {
    fs.mkdirSync(path.join(tree, d), { recursive: true });
  }
  fs.copyFileSync(BUSYBOX, path.join(tree, 'bin/busybox'));
  fs.chmodSync(path.join(tree, 'bin/busybox'), 0o755);
  fs.copyFileSync(path.join(HERE, 'init.sh'), path.join(tree, 'init'));
  fs.chmodSync(path.join(tree, 'init'), 0o755);
  const order = moduleLoadOrder(fs.readFileSync(path.join(kernel.modules, 'modules.dep'), 'utf8'), MODULES);
  const names = [];
  for (const rel of order) {
    const name = path.basename(rel);
    if (/\.ko\.\w+$/.test(name)) throw new Error(`compressed module ${rel}: busybox insmod needs plain .ko files`);
    fs.copyFileSync(path.join(kernel.modules, rel), path.join(tree, 'modules', name));
    names.push(name);
  }
  fs.writeFileSync(path.join(tree, 'modules/order'), names.join('\n') + '\n');
  const image = path.join(workDir, 'initramfs.cpio');
  const list = spawnSync('find', ['.'], { cwd: tree, encoding: 'utf8' });
  const cpio = spawnSync('cpio', ['-o', '-H', 'newc', '--quiet', '-O', image], { cwd: tree, input: list.stdout });
  if (list.status !== 0 || cpio.status !== 0) throw new Error(`cpio failed: ${cpio.stderr}`);
  return image;
}

/**
 * The qemu command line: TCG (KVM guests hang at boot on the hosts this was
 * written on), the host's / read-only as 9p tag "hostroot", `jobDir` writable
 * as tag "job", the serial console into `jobDir/console.log`.
 */
export function qemuArgs({ kernel, initramfs, jobDir, memory = '3G', cpus = 2, systemd = false }) {
  const append = ['console=ttyS0', 'cgroup_no_v1=all', 'panic=-1', 'quiet', 'loglevel=4'];
  if (systemd) append.push('ocits.init=systemd', 'systemd.unit=ocits-v2.target', 'systemd.show_status=0', 'systemd.log_level=warning');
  return [
    '-accel', 'tcg', '-cpu', 'max', '-smp', String(cpus), '-m', memory,
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-serial', `file:${path.join(jobDir, 'console.log')}`,
    '-kernel', kernel.vmlinuz, '-initrd', initramfs, '-append', append.join(' '),
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${jobDir},mount_tag=job,security_model=passthrough`,
  ];
}

/**
 * Boots the guest to run `files` (paths relative to `repo`) and waits for it to
 * power off, at most `timeoutMs` (then it is killed). The guest writes into
 * `jobDir`: guest.txt (what the guest is), <file>.tap and <file>.status per
 * file, done, console.log. Resolves to { code, signal, timedOut, ms }.
 */
export function runGuest({ repo, files, jobDir, timeoutMs, env = {}, systemd = false }) {
  const kernel = guestKernel();
  const initramfs = buildInitramfs(kernel, jobDir);
  const job = { REPO: repo, FILES: files.join(' '), ...env };
  for (const [k, v] of Object.entries(job)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k) || /['\n]/.test(String(v))) throw new Error(`bad job variable ${k}`);
  }
  fs.writeFileSync(path.join(jobDir, 'job.env'), Object.entries(job).map(([k, v]) => `${k}='${v}'\n`).join(''));
  const started = Date.now();
  const child = spawn(QEMU, qemuArgs({ kernel, initramfs, jobDir, systemd }), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stderr, ms: Date.now() - started });
    });
  });
}

/** A file's result name in the job dir: test/integration/x.mjs → test_integration_x.mjs */
export const resultName = (file) => file.replace(/[^\w.-]/g, '_');
