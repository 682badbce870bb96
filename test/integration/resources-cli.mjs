// The resource commands through the CLI against running busybox containers:
// update (flags, --resources - / FILE, bad values), pause/resume, ps, kill --all,
// events (--stats, --interval); each checked in the host's cgroup files and from
// inside the container, and no cgroup is left behind after delete.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixture, fileRoot, ocits, ocitsSpawn, ocitsToFiles, until, isRoot } from '../lib/bundle.mjs';
import { V2, cgDir, cgroupDirsOf, readCg, insideCat, sharesValue } from '../lib/cgroup-files.mjs';

t.ok(isRoot, 'integration tests run as root');
const root = fileRoot(t);

const read = (f) => fs.readFileSync(f, 'utf8').trim();
const alive = (pid) => {
  try { return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')); } catch { return false; }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const TICKER = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.1; done'];
const rwTmp = (c) => { c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'nosuid', 'nodev', 'mode=1777'] }); };

/** A detached running container (run -d, output to files): the fixture plus its init pid. */
function running(t, args = ['sleep', '300'], edit = rwTmp) {
  const f = fixture(t, root, args, edit);
  // The cgroup helpers below look under ocits/<id> (without cgroupsPath it would be under the test's own cgroup).
  f.b.config.linux.cgroupsPath = `/ocits/${f.id}`;
  f.b.write(f.b.config);
  const r = ocitsToFiles(['--root', root, 'run', '-d', '--bundle', f.b.dir, f.id], f.b.dir);
  t.equal(r.status, 0, `run -d: ${r.stderr}`);
  f.pid = f.state()?.pid;
  t.equal(f.state()?.status, 'running');
  t.ok(cgroupDirsOf(f.id).length > 0, 'the container has cgroups under ocits/<id>');
  f.execDetached = (...cmd) => f.execDetachedWith([], ...cmd);
  f.execDetachedWith = (flags, ...cmd) => {
    const pidFile = path.join(f.b.dir, `exec-${Date.now()}-${Math.random().toString(36).slice(2)}.pid`);
    const e = ocitsToFiles(['--root', root, 'exec', '-d', '--pid-file', pidFile, ...flags, f.id, ...cmd], f.b.dir);
    t.equal(e.status, 0, `exec -d ${[...flags, ...cmd].join(' ')}: ${e.stderr}`);
    return Number(fs.readFileSync(pidFile, 'utf8'));
  };
  f.deleteClean = (...flags) => {
    const d = f.cli('delete', ...flags, f.id);
    t.equal(d.status, 0, `delete ${flags.join(' ')}: ${d.stderr}`);
    t.equal(f.state(), null, 'gone after delete');
    t.same(cgroupDirsOf(f.id), [], 'no cgroup dir named after the id remains');
    t.same(f.leftovers(), [], 'no leftovers');
  };
  return f;
}

/** The ticker's counter, read through the init's root from the host. */
const ticks = (f) => {
  try { return Number(read(`/proc/${f.pid}/root/tmp/n`)); } catch { return 0; }
};

/** One-line error: exit 1, a single stderr line "ocits: <op>: ...". */
function oneLineError(t, r, op, re, what) {
  const status = op === 'exec' ? 255 : 1; // exec fails with runc's 255, apart from the process's own statuses
  t.equal(r.status, status, `${what}: exit ${status}`);
  t.equal(r.stdout, '', `${what}: nothing on stdout`);
  t.match(r.stderr, new RegExp(`^ocits: ${op}: [^\\n]*\\n$`), `${what}: one line "ocits: ${op}: ..."`);
  t.match(r.stderr, re, `${what}: names the field`);
}

t.test('update with flags changes the live container', async (t) => {
  const f = running(t);
  const u = f.cli('update', '--memory', '64M', '--pids-limit', '50', '--cpu-quota', '50000', '--cpu-period', '100000', f.id);
  t.equal(u.status, 0, `update: ${u.stderr}`);
  t.equal(u.stdout, '');
  t.equal(readCg(f.id, 'memory.limit_in_bytes'), '67108864', 'host: memory.limit_in_bytes');
  t.equal(readCg(f.id, 'pids.max'), '50', 'host: pids.max');
  t.equal(readCg(f.id, 'cpu.cfs_quota_us'), '50000', 'host: cpu.cfs_quota_us');
  t.equal(readCg(f.id, 'cpu.cfs_period_us'), '100000', 'host: cpu.cfs_period_us');

  // The container has its own cgroup namespace: its cgroups are the roots of its view.
  const e = f.cli('exec', f.id, 'sh', '-c', insideCat('memory.limit_in_bytes', 'pids.max', 'cpu.cfs_quota_us', 'cpu.cfs_period_us'));
  t.equal(e.status, 0, `exec cat: ${e.stderr}`);
  t.same(e.stdout.trim().split('\n'), ['67108864', '50', '50000', '100000'], 'inside: the same values');

  // A second update changes only what it names.
  const u2 = f.cli('update', '--pids-limit', '40', f.id);
  t.equal(u2.status, 0, u2.stderr);
  t.equal(readCg(f.id, 'pids.max'), '40');
  t.equal(readCg(f.id, 'memory.limit_in_bytes'), '67108864', 'memory untouched');

  f.deleteClean('--force');
});

t.test('update --resources - (stdin) and --resources FILE', async (t) => {
  const f = running(t);
  const r1 = ocits(['--root', root, 'update', '--resources', '-', f.id], { input: '{"pids":{"limit":77}}' });
  t.equal(r1.status, 0, `--resources -: ${r1.stderr}`);
  t.equal(readCg(f.id, 'pids.max'), '77', 'pids.max from stdin');

  const file = path.join(f.b.dir, 'res.json');
  fs.writeFileSync(file, JSON.stringify({ memory: { limit: 32 * 1024 * 1024 }, cpu: { shares: 512 } }));
  const r2 = f.cli('update', '--resources', file, f.id);
  t.equal(r2.status, 0, `--resources FILE: ${r2.stderr}`);
  t.equal(readCg(f.id, 'memory.limit_in_bytes'), String(32 * 1024 * 1024), 'memory from the file');
  t.equal(readCg(f.id, 'cpu.shares'), sharesValue(512), 'cpu.shares from the file (cpu.weight on v2)');
  t.equal(readCg(f.id, 'pids.max'), '77', 'pids untouched by the file');

  // Flags apply on top of the file.
  const r3 = f.cli('update', '-r', file, '--pids-limit', '88', '--cpu-shares', '256', f.id);
  t.equal(r3.status, 0, `-r FILE plus flags: ${r3.stderr}`);
  t.equal(readCg(f.id, 'pids.max'), '88');
  t.equal(readCg(f.id, 'cpu.shares'), sharesValue(256), 'the flag wins over the file');

  const inside = f.cli('exec', f.id, 'sh', '-c', insideCat('pids.max', 'cpu.shares'));
  t.same(inside.stdout.trim().split('\n'), ['88', sharesValue(256)], 'inside sees the update');

  // Bad documents: one line, nothing changed.
  const bad = ocits(['--root', root, 'update', '--resources', '-', f.id], { input: '{"pids":{"limit":"many"}}' });
  oneLineError(t, bad, 'update', /pids\/limit|pids\.limit/, 'a string pids limit on stdin');
  const notJson = ocits(['--root', root, 'update', '--resources', '-', f.id], { input: 'not json' });
  oneLineError(t, notJson, 'update', /stdin/, 'invalid JSON on stdin');
  const missing = f.cli('update', '--resources', path.join(f.b.dir, 'nope.json'), f.id);
  oneLineError(t, missing, 'update', /nope\.json/, 'a missing --resources file');
  t.equal(readCg(f.id, 'pids.max'), '88', 'pids.max unchanged by the failures');

  f.deleteClean('--force');
});

t.test('update with bad values fails with one line and changes nothing', async (t) => {
  const f = running(t);
  t.equal(f.cli('update', '--memory', '64M', '--pids-limit', '50', '--cpu-shares', '512', f.id).status, 0);
  const before = () => [
    readCg(f.id, 'memory.limit_in_bytes'),
    readCg(f.id, 'pids.max'),
    readCg(f.id, 'cpu.shares'),
    readCg(f.id, 'cpuset.cpus'),
  ];
  const old = before();
  t.same(old.slice(0, 3), ['67108864', '50', sharesValue(512)]);

  oneLineError(t, f.cli('update', '--memory', 'lots', f.id), 'update', /--memory/, '--memory lots');
  oneLineError(t, f.cli('update', '--cpu-shares', '1', f.id), 'update', /cpu[.-]shares/, '--cpu-shares 1');
  oneLineError(t, f.cli('update', '--pids-limit', 'ten', f.id), 'update', /--pids-limit/, '--pids-limit ten');
  // A valid field next to an invalid one: nothing is written.
  oneLineError(t, f.cli('update', '--pids-limit', '60', '--cpu-shares', '1', f.id), 'update', /cpu[.-]shares/, '--pids-limit 60 --cpu-shares 1');
  // A value only the kernel rejects.
  oneLineError(t, f.cli('update', '--cpuset-cpus', '9999', f.id), 'update', /cpu\.cpus|cpuset/, '--cpuset-cpus 9999');
  t.same(before(), old, 'memory, pids, cpu.shares and cpuset.cpus unchanged');

  const u = f.cli('update', '--memory', '1g', 'no-such-container');
  t.equal(u.status, 1, 'update of an unknown container fails');
  t.match(u.stderr, /^ocits: update: .*no-such-container/);

  f.deleteClean('--force');
});

t.test('update of a stopped container fails', async (t) => {
  const f = running(t);
  t.equal(f.cli('kill', f.id, 'KILL').status, 0);
  await until(() => f.state()?.status === 'stopped', 10000, 'stopped');
  oneLineError(t, f.cli('update', '--pids-limit', '10', f.id), 'update', /stopped/, 'update when stopped');
  f.deleteClean();
});

t.test('pause freezes, resume thaws', async (t) => {
  const f = running(t, TICKER);
  await until(() => ticks(f) >= 2, 10000, 'the ticker');

  const p = f.cli('pause', f.id);
  t.equal(p.status, 0, `pause: ${p.stderr}`);
  t.equal(f.state().status, 'paused', 'state paused');
  t.equal(readCg(f.id, 'freezer.state'), 'FROZEN', 'freezer.state FROZEN');
  const frozenAt = ticks(f);
  await sleep(600);
  t.equal(ticks(f), frozenAt, 'the counter does not advance while paused');

  const again = f.cli('pause', f.id);
  t.equal(again.status, 1, 'pause of a paused container fails');
  t.match(again.stderr, /^ocits: pause: [^\n]*paused[^\n]*\n$/, `clear message: ${again.stderr.trim()}`);

  const r = f.cli('resume', f.id);
  t.equal(r.status, 0, `resume: ${r.stderr}`);
  t.equal(f.state().status, 'running', 'state running');
  t.equal(readCg(f.id, 'freezer.state'), 'THAWED');
  await until(() => ticks(f) >= frozenAt + 2, 5000, 'the counter to advance again');
  t.pass('the counter advances after resume');

  const r2 = f.cli('resume', f.id);
  t.equal(r2.status, 1, 'resume of a running container fails');
  t.match(r2.stderr, /^ocits: resume: [^\n]*running[^\n]*\n$/, `clear message: ${r2.stderr.trim()}`);

  // exec into a paused container is refused.
  t.equal(f.cli('pause', f.id).status, 0);
  const ex = f.cli('exec', f.id, 'true');
  t.equal(ex.status, 255, `exec into a paused container fails (runc's status): ${ex.stderr.trim()}`);
  t.equal(f.cli('resume', f.id).status, 0);

  f.deleteClean('--force');
});

t.test('kill KILL of a paused container stops it', async (t) => {
  const f = running(t, TICKER);
  t.equal(f.cli('pause', f.id).status, 0);
  t.equal(f.state().status, 'paused');
  const k = f.cli('kill', f.id, 'KILL');
  t.equal(k.status, 0, `kill KILL: ${k.stderr}`);
  await until(() => f.state()?.status === 'stopped', 3000, 'the paused container stops after kill KILL');
  t.equal(f.state().status, 'stopped');
  f.deleteClean();
});

t.test('delete --force of a paused container', async (t) => {
  const f = running(t, TICKER);
  const execPid = f.execDetached('sleep', '200');
  t.equal(f.cli('pause', f.id).status, 0);
  t.equal(f.state().status, 'paused');
  const d = f.cli('delete', f.id);
  t.equal(d.status, 1, 'delete without --force refuses a paused container');
  t.match(d.stderr, /^ocits: delete: .*paused/);
  f.deleteClean('--force');
  t.notOk(alive(f.pid), 'the init is gone');
  t.notOk(alive(execPid), 'the exec\'d process is gone');
});

t.test('ps: json, table, ps args', async (t) => {
  const f = running(t, ['sleep', '300']);
  const execPid = f.execDetached('sleep', '200');
  const want = [f.pid, execPid].sort((a, b) => a - b);

  const j = f.cli('ps', '--format', 'json', f.id);
  t.equal(j.status, 0, `ps --format json: ${j.stderr}`);
  t.same(JSON.parse(j.stdout).sort((a, b) => a - b), want, 'host pids of the init and the exec\'d sleep');
  t.same(JSON.parse(f.cli('ps', '-f', 'json', f.id).stdout).sort((a, b) => a - b), want, '-f json');

  const tab = f.cli('ps', f.id);
  t.equal(tab.status, 0, `ps: ${tab.stderr}`);
  const lines = tab.stdout.trimEnd().split('\n');
  const cols = lines[0].trim().split(/\s+/);
  t.ok(cols.includes('PID'), `a PID header: ${lines[0]}`);
  const pidCol = cols.indexOf('PID');
  t.same(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[pidCol])).sort((a, b) => a - b), want, 'one row per container process');
  t.ok(lines.slice(1).every((l) => /sleep/.test(l)), 'rows show the commands');

  // ps arguments after the id go to ps (-e: select all, then the rows are filtered).
  const o = f.cli('ps', f.id, '-e', '-o', 'pid,comm');
  t.equal(o.status, 0, `ps ID -e -o pid,comm: ${o.stderr}`);
  const ol = o.stdout.trimEnd().split('\n');
  t.same(ol[0].trim().split(/\s+/), ['PID', 'COMMAND'], 'the header ps -o asked for');
  t.same(ol.slice(1).map((l) => l.trim().split(/\s+/)).sort((a, b) => a[0] - b[0]), want.map((p) => [String(p), 'sleep']));
  // Just -o (ps's own default selection): whatever it selects, only container pids.
  const o2 = f.cli('ps', f.id, '-o', 'pid,comm');
  t.equal(o2.status, 0, `ps ID -o pid,comm: ${o2.stderr}`);
  t.same(o2.stdout.split('\n')[0].trim().split(/\s+/), ['PID', 'COMMAND']);
  t.ok(o2.stdout.trimEnd().split('\n').slice(1).every((l) => want.includes(Number(l.trim().split(/\s+/)[0]))), 'only container pids');

  const bad = f.cli('ps', f.id, '-o', 'comm');
  t.equal(bad.status, 1, 'ps output without a PID column fails');
  t.match(bad.stderr, /^ocits: ps: .*PID/);

  f.deleteClean('--force');
});

t.test('kill --all kills the init and exec\'d processes', async (t) => {
  for (const [what, edit] of [
    ['own pid namespace', rwTmp],
    // Without a pid namespace, killing the init alone would leave the exec'd process running.
    ['host pid namespace', (c) => { rwTmp(c); c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'pid'); }],
  ]) {
    await t.test(what, async (t) => {
      const f = running(t, ['sleep', '300'], edit);
      const execPid = f.execDetached('sleep', '200');
      t.ok(alive(f.pid) && alive(execPid), 'both run');
      const k = f.cli('kill', '--all', f.id, 'KILL');
      t.equal(k.status, 0, `kill --all KILL: ${k.stderr}`);
      await until(() => !alive(f.pid) && !alive(execPid), 5000, 'both processes to die');
      t.pass('init and exec\'d process are gone');
      await until(() => f.state()?.status === 'stopped', 5000, 'stopped');
      const again = f.cli('kill', '--all', f.id, 'KILL');
      t.equal(again.status, 0, `kill --all on a stopped container exits 0: ${again.stderr}`);
      t.equal(f.cli('kill', f.id, 'KILL').status, 1, 'kill (not --all) on a stopped container fails');
      f.deleteClean();
    });
  }
});

t.test('events --stats prints one stats object', async (t) => {
  const f = running(t, TICKER);
  await until(() => ticks(f) >= 2, 10000, 'the ticker');
  t.equal(f.cli('update', '--pids-limit', '50', f.id).status, 0);
  const e = f.cli('events', '--stats', f.id);
  t.equal(e.status, 0, `events --stats: ${e.stderr}`);
  const lines = e.stdout.trimEnd().split('\n');
  t.equal(lines.length, 1, 'one line');
  const ev = JSON.parse(lines[0]);
  t.match(ev, { type: 'stats', id: f.id, data: { memory: { usage: { usage: Number } }, pids: { current: Number }, cpu: { usage: { total: Number } } } });
  t.ok(ev.data.pids.current >= 1, `pids.current ${ev.data.pids.current} >= 1`);
  t.equal(ev.data.pids.limit, 50, 'pids.limit');
  t.ok(ev.data.cpu.usage.total > 0, 'cpu usage total > 0');
  t.ok(ev.data.memory.usage.usage > 0, 'memory usage > 0');
  f.deleteClean('--force');
});

t.test('events --interval streams until stopped', async (t) => {
  const f = running(t, TICKER);
  const child = ocitsSpawn(['--root', root, 'events', '--interval', '200ms', f.id]);
  t.teardown(() => child.kill('SIGKILL'));
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const started = Date.now();
  await until(() => out.split('\n').filter(Boolean).length >= 2, 3000, `two events lines (stderr: ${err})`);
  const elapsed = Date.now() - started;
  t.ok(elapsed < 1500, `two lines within ~1 s (${elapsed} ms)`);
  await sleep(500);
  const lines = out.split('\n').filter(Boolean);
  t.ok(lines.length >= 3, `more lines keep coming (${lines.length})`);
  for (const l of lines) t.match(JSON.parse(l), { type: 'stats', id: f.id, data: { pids: { current: Number } } });

  // The stream ends when the container stops.
  t.equal(f.cli('kill', f.id, 'KILL').status, 0);
  const end = await Promise.race([closed, sleep(5000).then(() => null)]);
  t.same(end, { code: 0, signal: null }, `events exits 0 when the container stops (stderr: ${err})`);
  if (!end) child.kill('SIGKILL');
  await until(() => f.state()?.status === 'stopped', 5000, 'stopped');
  f.deleteClean();
});

t.test('events --interval with a bad duration fails', async (t) => {
  const f = running(t);
  oneLineError(t, f.cli('events', '--interval', 'soon', f.id), 'events', /--interval/, '--interval soon');
  f.deleteClean('--force');
});

t.test('exec --cgroup runs the process in an existing sub-cgroup', async (t) => {
  const f = running(t);
  const ownDirs = cgroupDirsOf(f.id);
  for (const d of ownDirs) {
    fs.mkdirSync(path.join(d, 'sub'));
    // A new v1 cpuset cgroup has no cpus or mems: nothing could join it.
    for (const f of ['cpuset.cpus', 'cpuset.mems']) if (fs.existsSync(path.join(d, f))) fs.writeFileSync(path.join(d, 'sub', f), read(path.join(d, f)));
  }
  if (!V2) fs.mkdirSync(path.join(cgDir('pids', f.id), 'only'));
  /** The cgroup path of an exec'd process, per hierarchy line of /proc/PID/cgroup. */
  const cgroupsOf = (pid) => read(`/proc/${pid}/cgroup`).split('\n').map((l) => l.split(':')).filter((x) => x[2].includes(f.id));
  const ownPath = `/ocits/${f.id}`;

  const all = f.execDetachedWith(['--cgroup', 'sub'], 'sleep', '300');
  const lines = cgroupsOf(all);
  t.ok(V2 ? lines.length === 1 : lines.length >= 2, V2 ? 'one hierarchy (pure v2)' : 'the container has several hierarchies');
  for (const [, ctrl, p] of lines) t.equal(p, `${ownPath}/sub`, `"sub" in ${ctrl || 'unified'}`);
  for (const d of ownDirs) t.ok(read(path.join(d, 'sub', 'cgroup.procs')).split('\n').map(Number).includes(all), `pid in ${d}/sub`);

  // v1: a controller's own sub-cgroup; pure v2 has one tree, where a controller prefix is refused.
  let one;
  if (V2) oneLineError(t, f.cli('exec', '--cgroup', 'pids:sub', f.id, 'true'), 'exec', /cgroup v2 has one hierarchy/, 'a controller prefix on v2');
  else {
    one = f.execDetachedWith(['--cgroup', 'pids:only'], 'sleep', '300');
    for (const [, ctrl, p] of cgroupsOf(one)) t.equal(p, ctrl === 'pids' ? `${ownPath}/only` : ownPath, `${ctrl || 'unified'}`);
  }

  const missing = f.cli('exec', '--cgroup', 'nosuch', f.id, 'true');
  oneLineError(t, missing, 'exec', /sub-cgroup .*nosuch does not exist/, 'missing sub-cgroup');
  t.match(missing.stderr, /sub-cgroup \S*\/nosuch does not exist/);
  oneLineError(t, f.cli('exec', '--cgroup', '../../x', f.id, 'true'), 'exec', /\.\.\/\.\.\/x is not a sub cgroup path/, 'escaping path');
  t.match(f.cli('exec', '--cgroup', 'nosuchctl:sub', f.id, 'true').stderr, V2 ? /cgroup v2 has one hierarchy/ : /no cgroup for controller "nosuchctl"/);
  t.equal(f.state()?.status, 'running', 'the container is unharmed');
  t.same(f.cli('ps', '--format', 'json', f.id).stdout.trim() && JSON.parse(f.cli('ps', '--format', 'json', f.id).stdout).sort(), [f.pid, all, one].filter(Boolean).sort(), 'ps sees the sub-cgroups\' processes, and no failed exec left one');
  f.deleteClean('--force');
});
