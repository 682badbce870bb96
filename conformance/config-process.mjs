// config.md "Process", "POSIX process" (rlimits), "Linux Process" and "User":
// each checked from inside a container started with `ocits run`.
import t from 'tap';
import * as fs from 'node:fs';
import { clause, fixture, isRoot, refused } from './lib/harness.mjs';

t.ok(isRoot, 'conformance tests run as root');

/** Runs `args` in a container (config edited by `edit`); { status, stdout, stderr }. */
function runWith(t, args, edit, opts) {
  return fixture(t, args, edit).run(opts);
}

/** "Name: value" lines of /proc/self/status as printed by the container. */
function statusFields(text) {
  return Object.fromEntries(text.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

const CAP_BITS = { CAP_CHOWN: 0, CAP_KILL: 5, CAP_NET_BIND_SERVICE: 10, CAP_AUDIT_WRITE: 29 };
const capMask = (names) => names.reduce((m, n) => m | (1n << BigInt(CAP_BITS[n])), 0n);

clause('config.md Process: "args" needs at least one entry, used with execvp\'s file semantics (PATH lookup)', async (t) => {
  const r = runWith(t, ['echo', 'from', 'path']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'from path\n', 'a bare name is found on the container PATH');
  const r2 = runWith(t, ['/bin/echo', 'absolute']);
  t.equal(r2.stdout, 'absolute\n', 'an absolute path is executed as is');
});

clause('config.md Process: "args" with no entry is invalid (at least one entry is REQUIRED): the runtime MUST generate an error', async (t) => {
  const c = fixture(t, ['true'], (cfg) => { cfg.process.args = []; });
  refused(t, c.create(), 'create', /args/, c);
  t.equal(c.state(), null);
});

clause('config.md Process: "cwd" is the working directory that will be set for the executable', async (t) => {
  const r = runWith(t, ['pwd'], (cfg) => { cfg.process.cwd = '/tmp'; });
  t.equal(r.stdout, '/tmp\n');
});

clause('config.md Process: "cwd" MUST be an absolute path (a relative one is an invalid value: error)', async (t) => {
  const c = fixture(t, ['pwd'], (cfg) => { cfg.process.cwd = 'tmp'; });
  refused(t, c.create(), 'create', /cwd/, c);
  t.equal(c.state(), null);
});

clause('config.md Process: "env" has the semantics of environ (the process gets exactly these variables)', async (t) => {
  const env = ['PATH=/bin', 'CONFORMANCE=1', 'WITH_SPACE=a b', 'EMPTY='];
  const r = runWith(t, ['/bin/env'], (cfg) => { cfg.process.env = env; });
  t.same(r.stdout.split('\n').filter(Boolean).sort(), [...env].sort());
});

clause('config.md Process: runtimes MUST ignore "consoleSize" if "terminal" is false or unset', async (t) => {
  const r = runWith(t, ['echo', 'ok'], (cfg) => { cfg.process.consoleSize = { height: 25, width: 80 }; });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'ok\n');
});

const LIMITS = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }, { type: 'RLIMIT_CORE', soft: 0, hard: 4096 }, { type: 'RLIMIT_NPROC', soft: 300, hard: 400 }];
/** The container's /proc/self/limits as { 'Max open files': [soft, hard] }. */
function limitsIn(t) {
  const r = runWith(t, ['cat', '/proc/self/limits'], (cfg) => { cfg.process.rlimits = LIMITS; });
  t.equal(r.status, 0, r.stderr);
  const out = {};
  for (const l of r.stdout.split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(l);
    if (m) out[m[1]] = [m[2], m[3]];
  }
  return out;
}
const NAMES = { RLIMIT_NOFILE: 'Max open files', RLIMIT_CORE: 'Max core file size', RLIMIT_NPROC: 'Max processes' };

clause('config.md POSIX process: rlimits "soft": rlim.rlim_cur MUST match the configured value', async (t) => {
  const lim = limitsIn(t);
  for (const l of LIMITS) t.equal(lim[NAMES[l.type]]?.[0], String(l.soft), l.type);
});

clause('config.md POSIX process: rlimits "hard": rlim.rlim_max MUST match the configured value', async (t) => {
  const lim = limitsIn(t);
  for (const l of LIMITS) t.equal(lim[NAMES[l.type]]?.[1], String(l.hard), l.type);
});

clause('config.md POSIX process: the runtime MUST generate an error for rlimit types which cannot be mapped to a kernel interface', async (t) => {
  const c = fixture(t, ['true'], (cfg) => { cfg.process.rlimits = [{ type: 'RLIMIT_OCITS_BOGUS', soft: 1, hard: 1 }]; });
  refused(t, c.create(), 'create', /RLIMIT_OCITS_BOGUS/, c);
  t.equal(c.state(), null);
});

clause('config.md POSIX process: if rlimits contains duplicated entries with the same type, the runtime MUST generate an error', async (t) => {
  const c = fixture(t, ['true'], (cfg) => {
    cfg.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 512 }, { type: 'RLIMIT_NOFILE', soft: 256, hard: 256 }];
  });
  refused(t, c.create(), 'create', /RLIMIT_NOFILE/, c);
  t.equal(c.state(), null);
});

clause('config.md User: "uid" and "gid" specify the user and group ID in the container namespace', async (t) => {
  const r = runWith(t, ['sh', '-c', 'echo "$(id -u) $(id -g)"'], (cfg) => { cfg.process.user = { uid: 1000, gid: 1001 }; });
  t.equal(r.stdout, '1000 1001\n', r.stderr);
});

clause('config.md User: "additionalGids" are added to the process', async (t) => {
  const r = runWith(t, ['cat', '/proc/self/status'], (cfg) => { cfg.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 6, 2000] }; });
  const groups = (statusFields(r.stdout).Groups ?? '').split(/\s+/).filter(Boolean).map(Number);
  for (const g of [5, 6, 2000]) t.ok(groups.includes(g), `group ${g} in ${groups}`);
});

clause('config.md User: "umask" specifies the umask of the user', async (t) => {
  const r = runWith(t, ['cat', '/proc/self/status'], (cfg) => { cfg.process.user.umask = 0o027; });
  t.equal(statusFields(r.stdout).Umask, '0027');
});

clause('config.md Linux process: "capabilities" effective, bounding, inheritable, permitted and ambient sets are kept for the process', async (t) => {
  const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE'];
  const r = runWith(t, ['cat', '/proc/self/status'], (cfg) => {
    cfg.process.noNewPrivileges = false;
    cfg.process.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: caps };
  });
  const f = statusFields(r.stdout);
  const want = capMask(caps);
  for (const [set, field] of [['bounding', 'CapBnd'], ['effective', 'CapEff'], ['permitted', 'CapPrm'], ['inheritable', 'CapInh'], ['ambient', 'CapAmb']]) {
    t.equal(f[field] && BigInt(`0x${f[field]}`), want, `${set} (${field}=${f[field]})`);
  }
});

clause('config.md Linux process: a capability that cannot be mapped to a kernel interface MUST be logged as a warning', async (t) => {
  const r = runWith(t, ['true'], (cfg) => { cfg.process.capabilities.bounding.push('CAP_OCITS_BOGUS'); });
  t.match(r.stderr, /warn.*CAP_OCITS_BOGUS|CAP_OCITS_BOGUS.*warn/i, `a warning naming it: ${r.stderr}`);
  t.equal(r.status, 0, 'a warning, not an error');
});

clause('config.md Linux process: runtimes SHOULD NOT fail if the configuration requests capabilities that cannot be granted', async (t) => {
  const r = runWith(t, ['echo', 'ran'], (cfg) => { cfg.process.capabilities.bounding.push('CAP_OCITS_BOGUS'); });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'ran\n');
});

clause('config.md Linux process: "noNewPrivileges" true prevents the process from gaining additional privileges (no_new_privs set)', async (t) => {
  const on = runWith(t, ['cat', '/proc/self/status'], (cfg) => { cfg.process.noNewPrivileges = true; });
  t.equal(statusFields(on.stdout).NoNewPrivs, '1', 'set when true');
  const off = runWith(t, ['cat', '/proc/self/status'], (cfg) => { cfg.process.noNewPrivileges = false; });
  t.equal(statusFields(off.stdout).NoNewPrivs, '0', 'not set when false');
});

clause('config.md Linux process: if "oomScoreAdj" is set, the runtime MUST set oom_score_adj to the given value', async (t) => {
  const r = runWith(t, ['cat', '/proc/self/oom_score_adj'], (cfg) => { cfg.process.oomScoreAdj = 432; });
  t.equal(r.stdout, '432\n', r.stderr);
});

clause('config.md Linux process: if "oomScoreAdj" is not set, the runtime MUST NOT change the value of oom_score_adj', async (t) => {
  const mine = fs.readFileSync('/proc/self/oom_score_adj', 'utf8');
  fs.writeFileSync('/proc/self/oom_score_adj', '123');
  t.teardown(() => fs.writeFileSync('/proc/self/oom_score_adj', mine.trim()));
  const r = runWith(t, ['cat', '/proc/self/oom_score_adj'], (cfg) => { delete cfg.process.oomScoreAdj; });
  t.equal(r.stdout, '123\n', 'the value the runtime was started with');
});
