// Restore details, ocits side by side with runc (`runc --criu`) on the same bundles:
// a host directory bind-mounted into the container, prestart/createRuntime hooks run
// with the restored pid, and failed restores (a failing hook, a damaged image, an id
// in use) that leave no container, cgroup, mount or process behind; a terminal container,
// whose restored pty master goes to --console-socket.
// CRIU is found as ocits finds it (test/lib/criu.mjs); without one this file fails.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OCITS, isRoot, leftovers, makeBundle, makeRoot, ocits, ocitsEnv, uniqueId, until } from '../lib/bundle.mjs';
import { findCriu } from '../lib/criu.mjs';
import { PYTHON3 } from '../lib/skip.mjs';
import { REPO } from '../lib/bundle.mjs';

const criu = findCriu();
const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i > /data/counter; sleep 0.1; done';

/** The number in a file the container rewrites (`echo $i > file`): read again while caught truncated. */
const readInt = (file) => {
  for (let i = 0; i < 100; i++) {
    try { const n = parseInt(fs.readFileSync(file, 'utf8'), 10); if (!Number.isNaN(n)) return n; } catch { return null; }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  }
  return null;
};

/** Processes whose root is `dir` (a container left running from it). */
const processesIn = (dir) => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
  try { return fs.readlinkSync(`/proc/${p}/root`) === dir; } catch { return false; }
});

if (!isRoot) {
  t.fail('checkpoint tests need root');
} else if (!criu.path) {
  t.fail(`no working CRIU (tried $OCITS_CRIU, criu on PATH, ../shared/tools/criu/criu): ${criu.error}`);
} else {
  const root = makeRoot();
  const rroot = makeRoot();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-crr-'));
  t.teardown(() => { for (const d of [work, root, rroot]) fs.rmSync(d, { recursive: true, force: true }); });
  let n = 0;
  const imageDir = () => path.join(work, `img-${++n}`);

  const RUNTIMES = [
    {
      name: 'ocits', root,
      cli: (args) => ocits(['--root', root, ...args]),
      runDetached: (b, id) => spawnSync(OCITS, ['--root', root, 'run', '-d', '--bundle', b.dir, id], { stdio: 'ignore', env: ocitsEnv(), timeout: 60000 }).status,
    },
    {
      name: 'runc', root: rroot,
      cli: (args) => {
        const r = spawnSync('runc', ['--root', rroot, '--criu', criu.path, ...args], { encoding: 'utf8', input: '', timeout: 60000 });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      },
      runDetached: (b, id) => spawnSync('runc', ['--root', rroot, 'run', '-d', id], { cwd: b.dir, stdio: 'ignore', timeout: 60000 }).status,
    },
  ];

  for (const rt of RUNTIMES) {
    /** A counter writing into a bind-mounted host directory; hooks write their state JSON to files. */
    const counter = async (t, hooks = {}) => {
      const data = fs.mkdtempSync(path.join(work, 'data-'));
      const b = makeBundle(['sh', '-c', COUNTER], (c) => {
        c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
        c.hooks = hooks;
      });
      const id = uniqueId(`crr-${rt.name}`);
      t.teardown(() => { rt.cli(['delete', '-f', id]); b.cleanup(); });
      t.equal(rt.runDetached(b, id), 0, `${rt.name} run -d`);
      const file = path.join(data, 'counter');
      await until(() => readInt(file) >= 3, 10000, 'the counter');
      return { b, id, file, data };
    };
    const hook = (file, code = 0) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${file}; exit ${code}`] });

    t.test(`${rt.name}: a bind-mounted host directory, and prestart/createRuntime hooks with the restored pid`, async (t) => {
      const pre = path.join(work, `${rt.name}-prestart.json`);
      const cr = path.join(work, `${rt.name}-createRuntime.json`);
      const { b, id, file } = await counter(t, { prestart: [hook(pre)], createRuntime: [hook(cr)] });
      const img = imageDir();
      const ck = rt.cli(['checkpoint', '--image-path', img, id]);
      t.equal(ck.status, 0, ck.stderr);
      const frozen = readInt(file);
      fs.rmSync(pre);
      fs.rmSync(cr);
      const rs = rt.cli(['restore', '-d', '--image-path', img, '--bundle', b.dir, id]);
      t.equal(rs.status, 0, rs.stderr);
      await until(() => readInt(file) > frozen, 10000, 'the counter in the bind mount');
      t.ok(readInt(file) > frozen, `the host directory sees it count on from ${frozen}`);
      const pid = JSON.parse(rt.cli(['state', id]).stdout).pid;
      for (const f of [pre, cr]) {
        const st = JSON.parse(fs.readFileSync(f, 'utf8'));
        t.same([st.id, st.pid, st.bundle], [id, pid, b.dir], `${path.basename(f)}: the restored pid`);
      }
    });

    t.test(`${rt.name}: a terminal container: the new pty master goes to the console socket, output goes on`, async (t) => {
      const sock = path.join(work, `${rt.name}-console.sock`);
      const out = path.join(work, `${rt.name}-console.out`);
      const peer = spawn(PYTHON3, [path.join(REPO, 'test/fixtures/console-collector.py'), sock, out], { stdio: ['ignore', 'pipe', 'inherit'] });
      t.teardown(() => peer.kill());
      await new Promise((resolve) => peer.stdout.once('data', resolve));
      const b = makeBundle(['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done'], (c) => { c.process.terminal = true; });
      const id = uniqueId(`crt-${rt.name}`);
      t.teardown(() => { rt.cli(['delete', '-f', id]); b.cleanup(); });
      const runArgs = rt.name === 'ocits'
        ? [OCITS, ['--root', root, 'run', '-d', '--console-socket', sock, '--bundle', b.dir, id], { env: ocitsEnv() }]
        : ['runc', ['--root', rroot, 'run', '-d', '--console-socket', sock, id], { cwd: b.dir }];
      t.equal(spawnSync(runArgs[0], runArgs[1], { ...runArgs[2], stdio: 'ignore', timeout: 60000 }).status, 0, 'run -d');
      const numbers = () => { try { return fs.readFileSync(out, 'utf8').split(/\r?\n/).filter((l) => /^\d+$/.test(l)).map(Number); } catch { return []; } };
      await until(() => numbers().length >= 5, 10000, 'output on the pty');
      const img = imageDir();
      const ck = rt.cli(['checkpoint', '--image-path', img, id]);
      t.equal(ck.status, 0, ck.stderr);
      const cut = numbers().at(-1);
      const rs = rt.cli(['restore', '-d', '--console-socket', sock, '--image-path', img, '--bundle', b.dir, id]);
      t.equal(rs.status, 0, rs.stderr);
      await until(() => numbers().at(-1) > cut + 3, 10000, 'output on the new pty');
      t.equal(fs.readFileSync(out, 'utf8').match(/\[got /g).length, 2, 'a master at create, another at restore');
      const got = numbers();
      t.same(got, got.map((_, i) => i + 1), `no restart: 1..${got.at(-1)} (cut at ${cut})`);
    });

    t.test(`${rt.name}: restore without -d waits for the container and exits with its status`, async (t) => {
      const data = fs.mkdtempSync(path.join(work, 'data-'));
      const b = makeBundle(['sh', '-c', 'i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo $i > /data/counter; sleep 0.1; done; exit 3'],
        (c) => { c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] }); });
      const id = uniqueId(`crw-${rt.name}`);
      t.teardown(() => { rt.cli(['delete', '-f', id]); b.cleanup(); });
      t.equal(rt.runDetached(b, id), 0, 'run -d');
      await until(() => readInt(path.join(data, 'counter')) >= 3, 10000, 'the counter');
      const img = imageDir();
      t.equal(rt.cli(['checkpoint', '--image-path', img, id]).status, 0);
      const rs = rt.cli(['restore', '--image-path', img, '--bundle', b.dir, id]);
      t.equal(rs.status, 3, `the container's exit status ${rs.stderr}`);
      t.equal(readInt(path.join(data, 'counter')), 30, 'it ran to its end');
      t.equal(rt.cli(['state', id]).status, 1, 'deleted afterwards, as run does');
    });

    t.test(`${rt.name}: a failing prestart hook fails the restore and leaves nothing`, async (t) => {
      const { b, id, file } = await counter(t, { prestart: [hook('/dev/null', 0)] });
      const img = imageDir();
      const ck = rt.cli(['checkpoint', '--image-path', img, id]);
      t.equal(ck.status, 0, ck.stderr);
      const config = JSON.parse(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8'));
      config.hooks.prestart = [hook('/dev/null', 7)];
      fs.writeFileSync(path.join(b.dir, 'config.json'), JSON.stringify(config));
      const frozen = readInt(file);
      const rs = rt.cli(['restore', '-d', '--image-path', img, '--bundle', b.dir, id]);
      t.equal(rs.status, 1, 'restore fails');
      if (rt.name === 'ocits') t.match(rs.stderr, /^ocits: restore: prestart hook #0 \(\/bin\/sh\) exited with status 7\n$/);
      t.equal(rt.cli(['state', id]).status, 1, 'no container');
      t.same(processesIn(b.rootfs), [], 'no restored process');
      t.equal(readInt(file), frozen, 'the counter did not come back');
      if (rt.name === 'ocits') t.same(leftovers(rt.root, b.dir, id), [], 'no state, cgroup or mount left');
    });
  }

  t.test('ocits: a damaged image, an id in use: errors that leave the host as it was', async (t) => {
    const rt = RUNTIMES[0];
    const { b, id } = await counter0(t, rt);
    const img = imageDir();
    t.equal(rt.cli(['checkpoint', '--leave-running', '--image-path', img, id]).status, 0);
    const inUse = rt.cli(['restore', '-d', '--image-path', img, '--bundle', b.dir, id]);
    t.equal(inUse.status, 1);
    t.match(inUse.stderr, new RegExp(`^ocits: restore: container with id "${id}" already exists\\n$`));
    t.equal(JSON.parse(rt.cli(['state', id]).stdout).status, 'running', 'the running one untouched');
    for (const f of fs.readdirSync(img).filter((f) => f.startsWith('pages-'))) fs.rmSync(path.join(img, f));
    const other = uniqueId('crr-other');
    const damaged = rt.cli(['restore', '-d', '--image-path', img, '--bundle', b.dir, other]);
    t.equal(damaged.status, 1);
    t.match(damaged.stderr, /^ocits: restore: criu failed: type RESTORE .*log file: .*restore\.log/);
    t.same(leftovers(root, b.dir, other), [], 'no state, cgroup or mount left');
    const none = rt.cli(['restore', '--image-path', path.join(work, 'nothing'), '--bundle', b.dir, other]);
    t.equal(none.status, 1);
    t.match(none.stderr, /^ocits: restore: .*nothing: not a checkpoint/);
  });

  t.test('ocits: a restore killed half-way is undone by delete --force, the rootfs intact', async (t) => {
    const rt = RUNTIMES[0];
    const { b, id } = await counter0(t, rt);
    const img = imageDir();
    t.equal(rt.cli(['checkpoint', '--image-path', img, id]).status, 0);
    const started = path.join(work, 'slow-hook-started');
    const config = JSON.parse(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8'));
    config.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${started}; sleep 60`] }] };
    fs.writeFileSync(path.join(b.dir, 'config.json'), JSON.stringify(config));
    const p = spawn(OCITS, ['--root', root, 'restore', '-d', '--image-path', img, '--bundle', b.dir, id], { stdio: 'ignore', env: ocitsEnv() });
    const exited = new Promise((resolve) => p.on('exit', resolve));
    await until(() => fs.existsSync(started), 20000, 'the restore to reach its prestart hook');
    p.kill('SIGKILL');
    await exited;
    t.ok(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(path.join(root, id, 'criu-root')), 'the killed restore left its rootfs bind');
    const del = rt.cli(['delete', '-f', id]);
    t.equal(del.status, 0, del.stderr);
    t.same(leftovers(root, b.dir, id), [], 'nothing left');
    t.ok(fs.existsSync(path.join(b.rootfs, 'bin/busybox')), 'the rootfs is intact');
  });

  async function counter0(t, rt) {
    const data = fs.mkdtempSync(path.join(work, 'data-'));
    const b = makeBundle(['sh', '-c', COUNTER], (c) => { c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] }); });
    const id = uniqueId('crr-ocits');
    t.teardown(() => { rt.cli(['delete', '-f', id]); b.cleanup(); });
    t.equal(rt.runDetached(b, id), 0);
    await until(() => readInt(path.join(data, 'counter')) >= 3, 10000, 'the counter');
    return { b, id };
  }
}
