import t from 'tap';
import { load, minimal, semantic, throwsConfig } from '../fixtures/spec/helpers.mjs';

const { validateSpec } = load;
const { checkSpecSemantics, checkProcessSemantics } = semantic;

const bad = (t, mutate, message) => {
  const spec = minimal();
  mutate(spec);
  throwsConfig(t, () => validateSpec(spec, 'config.json'), message);
};
const ok = (t, mutate, what) => {
  const spec = minimal();
  mutate(spec);
  t.same(checkSpecSemantics(spec), [], what);
  t.doesNotThrow(() => validateSpec(spec, 'config.json'), what);
};

t.test('root.path must be an existing directory (injectable probe)', async (t) => {
  const seen = [];
  const probe = (kind) => (p) => {
    seen.push(p);
    return kind;
  };
  const spec = minimal();
  t.same(checkSpecSemantics(spec, { bundle: '/b', probe: probe('dir') }), []);
  t.same(seen, ['/b/rootfs'], 'probes the root resolved against the bundle');
  t.same(checkSpecSemantics(spec, { bundle: '/b', probe: probe('missing') }),
    [{ pointer: '/root/path', detail: 'root filesystem /b/rootfs does not exist' }]);
  t.same(checkSpecSemantics(spec, { bundle: '/b', probe: probe('file') }),
    [{ pointer: '/root/path', detail: 'root filesystem /b/rootfs is not a directory' }]);
  spec.root.path = '/abs/root';
  t.same(checkSpecSemantics(spec, { bundle: '/b', probe: probe('missing') }),
    [{ pointer: '/root/path', detail: 'root filesystem /abs/root does not exist' }]);
  t.same(checkSpecSemantics(spec), [], 'no bundle: no filesystem check');
  throwsConfig(t, () => validateSpec(minimal(), 'config.json', { bundle: '/b', probe: probe('other') }),
    'config.json: /root/path: root filesystem /b/rootfs is not a directory');
});

t.test('process checks', async (t) => {
  bad(t, (s) => { s.process.cwd = 'home'; }, 'config.json: /process/cwd: must be an absolute path (got "home")');
  bad(t, (s) => { delete s.process.args; }, 'config.json: /process/args: must be a non-empty array');
  ok(t, (s) => { delete s.process; }, 'process is optional');
  bad(t, (s) => { s.process.rlimits = [{ type: 'NOFILE', soft: 1, hard: 1 }]; },
    'config.json: /process/rlimits/0/type: must be of the form RLIMIT_* (got "NOFILE")');
  bad(t, (s) => {
    s.process.rlimits = [
      { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 },
    ];
  }, 'config.json: /process/rlimits/2/type: duplicate rlimit "RLIMIT_NOFILE" (also at index 0)');
  bad(t, (s) => { s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 18446744073709551615n, hard: 1024 }]; },
    'config.json: /process/rlimits/0: soft limit must not exceed hard limit');
  ok(t, (s) => { s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 1024, hard: 18446744073709551615n }]; }, 'bigint hard limit ok');
  t.same(checkProcessSemantics({ cwd: 'x', user: { uid: 0, gid: 0 }, args: [] }, ''), [
    { pointer: '/args', detail: 'must be a non-empty array' },
    { pointer: '/cwd', detail: 'must be an absolute path (got "x")' },
  ], 'all process issues are reported, in order');
});

t.test('ociVersion', async (t) => {
  bad(t, (s) => { s.ociVersion = '2.0.0'; }, 'config.json: /ociVersion: must be a 1.x.y version string (got "2.0.0")');
  bad(t, (s) => { s.ociVersion = '1.2'; }, 'config.json: /ociVersion: must be a 1.x.y version string (got "1.2")');
  ok(t, (s) => { s.ociVersion = '1.0.2-dev'; }, 'pre-release accepted');
  ok(t, (s) => { s.ociVersion = '1.1.0+dev'; }, 'build metadata accepted');
});

t.test('namespaces', async (t) => {
  bad(t, (s) => { s.linux.namespaces.push({ type: 'pid' }); },
    'config.json: /linux/namespaces/2/type: duplicate namespace type "pid" (also at index 0)');
  bad(t, (s) => { s.linux.namespaces.push({ type: 'network', path: 'proc/1/ns/net' }); },
    'config.json: /linux/namespaces/2/path: must be an absolute path (got "proc/1/ns/net")');
  ok(t, (s) => { s.linux.namespaces.push({ type: 'network', path: '/proc/1/ns/net' }); }, 'absolute path ok');
});

t.test('user namespace and id mappings', async (t) => {
  const maps = [{ containerID: 0, hostID: 1000, size: 1 }];
  bad(t, (s) => { s.linux.namespaces.push({ type: 'user' }); },
    'config.json: /linux/uidMappings: must be a non-empty array when a new user namespace is created');
  bad(t, (s) => { s.linux.namespaces.push({ type: 'user' }); s.linux.uidMappings = maps; s.linux.gidMappings = []; },
    'config.json: /linux/gidMappings: must be a non-empty array when a new user namespace is created');
  ok(t, (s) => { s.linux.namespaces.push({ type: 'user' }); s.linux.uidMappings = maps; s.linux.gidMappings = maps; }, 'new userns with mappings');
  ok(t, (s) => { s.linux.namespaces.push({ type: 'user', path: '/proc/9/ns/user' }); }, 'joined userns needs no mappings');
  bad(t, (s) => { s.linux.uidMappings = maps; }, 'config.json: /linux/uidMappings: requires a user namespace in /linux/namespaces');
  bad(t, (s) => { s.linux.gidMappings = maps; }, 'config.json: /linux/gidMappings: requires a user namespace in /linux/namespaces');
  ok(t, (s) => { s.linux.uidMappings = []; }, 'empty mappings without userns are harmless');
});

t.test('time offsets need a new time namespace', async (t) => {
  const offs = { monotonic: { secs: 10, nanosecs: 0 } };
  bad(t, (s) => { s.linux.timeOffsets = offs; },
    'config.json: /linux/timeOffsets: requires a new time namespace (type "time" without a path) in /linux/namespaces');
  bad(t, (s) => { s.linux.timeOffsets = offs; s.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' }); },
    'config.json: /linux/timeOffsets: requires a new time namespace (type "time" without a path) in /linux/namespaces');
  ok(t, (s) => { s.linux.timeOffsets = offs; s.linux.namespaces.push({ type: 'time' }); }, 'new time ns');
});

t.test('hostname and domainname need a uts namespace', async (t) => {
  bad(t, (s) => { s.hostname = 'box'; }, 'config.json: /hostname: setting a hostname requires a uts namespace in /linux/namespaces');
  bad(t, (s) => { s.domainname = 'example.org'; }, 'config.json: /domainname: setting a domainname requires a uts namespace in /linux/namespaces');
  ok(t, (s) => { s.hostname = 'box'; s.linux.namespaces.push({ type: 'uts' }); }, 'with uts');
  ok(t, (s) => { s.hostname = ''; }, 'empty hostname needs nothing');
});

t.test('mounts', async (t) => {
  bad(t, (s) => { s.linux.maskedPaths = ['/proc/kcore', 'proc/keys']; },
    'config.json: /linux/maskedPaths/1: must be an absolute path (got "proc/keys")');
  bad(t, (s) => { s.linux.readonlyPaths = ['sys']; },
    'config.json: /linux/readonlyPaths/0: must be an absolute path (got "sys")');
});

t.test('devices', async (t) => {
  bad(t, (s) => { s.linux.devices = [{ path: 'dev/null', type: 'c', major: 1, minor: 3 }]; },
    'config.json: /linux/devices/0/path: must be an absolute path under /dev (got "dev/null")');
  bad(t, (s) => { s.linux.devices = [{ path: '/etc/passwd', type: 'c', major: 1, minor: 3 }]; },
    'config.json: /linux/devices/0/path: must be an absolute path under /dev (got "/etc/passwd")');
  bad(t, (s) => { s.linux.devices = [{ path: '/dev/../etc/x', type: 'c', major: 1, minor: 3 }]; },
    'config.json: /linux/devices/0/path: must be an absolute path under /dev (got "/dev/../etc/x")');
  for (const type of ['c', 'b', 'u']) {
    bad(t, (s) => { s.linux.devices = [{ path: '/dev/null', type: 'c', major: 1, minor: 3 }, { path: '/dev/x', type, minor: 3 }]; },
      `config.json: /linux/devices/1: missing required field "major" (required for device type "${type}")`);
    bad(t, (s) => { s.linux.devices = [{ path: '/dev/x', type, major: 3 }]; },
      `config.json: /linux/devices/0: missing required field "minor" (required for device type "${type}")`);
  }
  ok(t, (s) => { s.linux.devices = [{ path: '/dev/fifo', type: 'p' }, { path: '/dev/net/tun', type: 'c', major: 10, minor: 200 }]; }, 'fifo needs no numbers');
});

t.test('hooks', async (t) => {
  for (const kind of ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']) {
    bad(t, (s) => { s.hooks = { [kind]: [{ path: '/bin/true' }, { path: 'bin/hook' }] }; },
      `config.json: /hooks/${kind}/1/path: must be an absolute path (got "bin/hook")`);
  }
  bad(t, (s) => { s.hooks = { poststop: [{ path: '/bin/true', timeout: 0 }] }; }, 'config.json: /hooks/poststop/0/timeout: must be greater than 0');
  bad(t, (s) => { s.hooks = { prestart: [{ path: '/bin/true', timeout: -3 }] }; }, 'config.json: /hooks/prestart/0/timeout: must be greater than 0');
  ok(t, (s) => { s.hooks = { prestart: [{ path: '/bin/true', timeout: 1 }] }; }, 'positive timeout');
});

t.test('sysctl keys must be non-empty', async (t) => {
  bad(t, (s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': '1', '': 'x' }; }, 'config.json: /linux/sysctl: keys must be non-empty');
  ok(t, (s) => { s.linux.sysctl = { 'kernel.msgmax': '8192' }; }, 'normal sysctl');
});

t.test('first issue in document order is reported', async (t) => {
  const spec = minimal();
  spec.process.cwd = 'rel';
  spec.linux = { ...(spec.linux ?? {}), maskedPaths: ['x'] };
  const issues = checkSpecSemantics(spec);
  t.same(issues.map((i) => i.pointer), ['/process/cwd', '/linux/maskedPaths/0']);
  throwsConfig(t, () => validateSpec(spec, 'config.json'), 'config.json: /process/cwd: must be an absolute path (got "rel")');
});
