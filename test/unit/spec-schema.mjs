import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fixtures, load, minimal, root, throwsConfig } from '../fixtures/spec/helpers.mjs';

const { validateSpec, parseSpecText, parseResources, parseProcess } = load;
const read = (p) => readFileSync(join(fixtures, p), 'utf8');
const bad = (t, mutate, message) => {
  const spec = minimal();
  mutate(spec);
  throwsConfig(t, () => validateSpec(spec, 'config.json'), message);
};

t.test('full example config validates and keeps big integers', async (t) => {
  const spec = parseSpecText(read('full/config.json'), 'config.json');
  t.equal(spec.ociVersion, '1.2.0');
  const core = spec.process.rlimits[0];
  t.equal(typeof core.hard, 'bigint');
  t.equal(core.hard, 18446744073709551615n);
  t.equal(core.soft, 18446744073709551615n);
  t.equal(spec.process.rlimits[1].hard, 1024);
  t.equal(spec.linux.resources.memory.limit, -1, 'memory limit -1 stays the number -1');
  t.equal(typeof spec.linux.resources.memory.limit, 'number');
  t.equal(spec.linux.resources.memory.swap, 9223372036854775807n);
  t.equal(spec.linux.timeOffsets.boottime.secs, -9223372036854775808n);
  t.equal(spec.linux.seccomp.syscalls[1].args[0].value, 18446744073709551615n);
  t.equal(spec.linux.namespaces.length, 8);
  t.equal(spec.hooks.poststop[0].path, '/usr/sbin/cleanup.sh');
});

t.test('runc spec-style default config validates', async (t) => {
  const spec = parseSpecText(read('runc-default/config.json'), 'config.json');
  t.equal(spec.hostname, 'runc');
  t.same(spec.process.args, ['sh']);
  t.equal(spec.mounts.length, 7);
});

t.test('the runtime\'s own `spec` output validates (normal and rootless)', async (t) => {
  const { defaultSpec } = createRequire(import.meta.url)(join(root, 'dist/lib/runtime/default-spec.js'));
  for (const rootless of [false, true]) {
    const text = JSON.stringify(defaultSpec(rootless), null, 2);
    t.equal(parseSpecText(text, 'config.json').ociVersion.startsWith('1.'), true, `rootless=${rootless}`);
  }
});

t.test('unknown fields and annotations are accepted', async (t) => {
  const spec = minimal();
  spec['org.example.extension'] = { anything: [1, 'two', null] };
  spec.annotations = { 'io.kubernetes.cri-o.Weird': '', 'any key / with ~ chars': 'v', '': 'empty key' };
  spec.process['x-proc'] = 1;
  spec.process.user['x-user'] = true;
  spec.linux['x-linux'] = 'y';
  spec.linux.namespaces[0]['x-ns'] = 2;
  spec.linux.resources = { 'x-res': 1, memory: { limit: 1, 'x-mem': 'z' }, futureController: { a: 1 } };
  spec.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', 'x-seccomp': 1, syscalls: [{ names: ['read'], action: 'SCMP_ACT_LOG', comment: 'hi' }] };
  spec.mounts = [{ destination: '/tmp', type: 'tmpfs', 'x-mount': [] }];
  spec.hooks = { prestart: [{ path: '/bin/true', 'x-hook': 1 }], futureHook: [{ whatever: 1 }] };
  t.equal(validateSpec(spec, 'config.json'), spec);
});

t.test('schema errors are one readable line with file and JSON path', async (t) => {
  bad(t, (s) => { s.process.args = []; }, 'config.json: /process/args: must be a non-empty array');
  bad(t, (s) => { s.linux.namespaces.push({ type: 'foo' }); },
    'config.json: /linux/namespaces/2/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time');
  bad(t, (s) => { delete s.process.cwd; }, 'config.json: /process: missing required field "cwd"');
  bad(t, (s) => { delete s.process.user.gid; }, 'config.json: /process/user: missing required field "gid"');
  bad(t, (s) => { delete s.ociVersion; }, 'config.json: missing required field "ociVersion"');
  bad(t, (s) => { delete s.root; }, 'config.json: missing required field "root"');
  bad(t, (s) => { s.hostname = 5; }, 'config.json: /hostname: must be a string');
  bad(t, (s) => { s.process = []; }, 'config.json: /process: must be an object');
  bad(t, (s) => { s.mounts = {}; }, 'config.json: /mounts: must be an array');
  bad(t, (s) => { s.root.readonly = 'yes'; }, 'config.json: /root/readonly: must be a boolean');
  bad(t, (s) => { s.process.args = ['sh', 1]; }, 'config.json: /process/args/1: must be a string');
  bad(t, (s) => { s.annotations = { a: 'ok', b: 1 }; }, 'config.json: /annotations/b: must be a string');
  bad(t, (s) => { s.process.user.uid = -1; }, 'config.json: /process/user/uid: must be an integer between 0 and 4294967295');
  bad(t, (s) => { s.process.user.uid = '0'; }, 'config.json: /process/user/uid: must be an integer');
  bad(t, (s) => { s.linux.resources = { memory: { limit: 1.5 } }; }, 'config.json: /linux/resources/memory/limit: must be an integer');
  bad(t, (s) => { s.linux.resources = { memory: { limit: 9223372036854775808n } }; },
    'config.json: /linux/resources/memory/limit: must be an integer between -9223372036854775808 and 9223372036854775807');
  bad(t, (s) => { s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 18446744073709551616n }]; },
    'config.json: /process/rlimits/0/hard: must be an integer between 0 and 18446744073709551615');
  bad(t, (s) => { s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1e300 }]; },
    'config.json: /process/rlimits/0/hard: must be an integer written as a plain integer literal (no fraction or exponent)');
  bad(t, (s) => { s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1 }]; },
    'config.json: /process/rlimits/0: missing required field "hard"');
  bad(t, (s) => { s.process.capabilities = { bounding: ['CAP_CHOWN', 'chown'] }; },
    'config.json: /process/capabilities/bounding/1: must be a capability name such as CAP_CHOWN');
  bad(t, (s) => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_NOPE' }; },
    'config.json: /linux/seccomp/defaultAction: must be one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, ' +
    'SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY');
  bad(t, (s) => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'amd64'] }; },
    /^config\.json: \/linux\/seccomp\/architectures\/1: must be one of SCMP_ARCH_X86, SCMP_ARCH_X86_64, .*SCMP_ARCH_RISCV64/);
  bad(t, (s) => {
    s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'EQ' }] }] };
  }, 'config.json: /linux/seccomp/syscalls/0/args/0/op: must be one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ');
  bad(t, (s) => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_BOGUS'] }; },
    'config.json: /linux/seccomp/flags/0: must be one of SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
  bad(t, (s) => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }; },
    'config.json: /linux/seccomp/syscalls/0/names: must be a non-empty array');
  bad(t, (s) => { s.linux.seccomp = {}; }, 'config.json: /linux/seccomp: missing required field "defaultAction"');
  bad(t, (s) => { s.linux.devices = [{ path: '/dev/x', type: 'x' }]; }, 'config.json: /linux/devices/0/type: must be one of c, b, u, p');
  bad(t, (s) => { s.linux.rootfsPropagation = 'bogus'; }, /^config\.json: \/linux\/rootfsPropagation: must be one of private, shared, slave, unbindable/);
  bad(t, (s) => { s.linux.resources = { pids: {} }; }, 'config.json: /linux/resources/pids: missing required field "limit"');
  bad(t, (s) => { s.linux.resources = { blockIO: { weight: 70000 } }; }, 'config.json: /linux/resources/blockIO/weight: must be an integer between 0 and 65535');
  bad(t, (s) => { s.linux.resources = { hugepageLimits: [{ pageSize: '2MB' }] }; }, 'config.json: /linux/resources/hugepageLimits/0: missing required field "limit"');
  bad(t, (s) => { s.linux.resources = { unified: { 'memory.max': 5 } }; }, 'config.json: /linux/resources/unified/memory.max: must be a string');
  bad(t, (s) => { s.linux.uidMappings = [{ containerID: 0, hostID: 1000 }]; }, 'config.json: /linux/uidMappings/0: missing required field "size"');
  bad(t, (s) => { s.linux.timeOffsets = { monotonic: { secs: 'x' } }; }, 'config.json: /linux/timeOffsets/monotonic/secs: must be an integer');
  bad(t, (s) => { s.linux.personality = { domain: 'LINUX64' }; }, 'config.json: /linux/personality/domain: must be one of LINUX, LINUX32');
  bad(t, (s) => { s.linux.netDevices = { eth0: { name: 1 } }; }, 'config.json: /linux/netDevices/eth0/name: must be a string');
  bad(t, (s) => { s.linux.intelRdt = { enableCMT: 'yes' }; }, 'config.json: /linux/intelRdt/enableCMT: must be a boolean');
  bad(t, (s) => { s.process.ioPriority = { class: 'IOPRIO_CLASS_X', priority: 1 }; },
    'config.json: /process/ioPriority/class: must be one of IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE');
  bad(t, (s) => { s.process.scheduler = { policy: 'SCHED_OTHER', flags: ['X'] }; }, /^config\.json: \/process\/scheduler\/flags\/0: must be one of SCHED_FLAG_RESET_ON_FORK, /);
  bad(t, (s) => { s.process.consoleSize = { height: 1 }; }, 'config.json: /process/consoleSize: missing required field "width"');
  bad(t, (s) => { s.hooks = { poststop: [{ args: [] }] }; }, 'config.json: /hooks/poststop/0: missing required field "path"');
  bad(t, (s) => { s.mounts = [{ destination: '/x', uidMappings: [{ containerID: 0, hostID: 0, size: -5 }] }]; },
    'config.json: /mounts/0/uidMappings/0/size: must be an integer between 0 and 4294967295');
  bad(t, (s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': 1 }; }, 'config.json: /linux/sysctl/net.ipv4.ip_forward: must be a string');
});

t.test('JSON syntax errors name the file, line and column', async (t) => {
  throwsConfig(t, () => parseSpecText('{\n  "ociVersion": "1.2.0",\n      }', 'config.json'),
    "config.json: line 3, column 7: unexpected token '}', expected a string key");
  throwsConfig(t, () => parseSpecText('', 'config.json'), 'config.json: line 1, column 1: unexpected end of input');
  throwsConfig(t, () => parseSpecText('[1, 2]', 'config.json'), 'config.json: must be an object');
});

t.test('update --resources body', async (t) => {
  const r = parseResources(read('resources.json'), 'resources.json');
  t.equal(r.memory.limit, -1);
  t.equal(r.memory.swap, 9223372036854775807n);
  t.equal(r.pids.limit, -1);
  t.same(parseResources('{}', 'r.json'), {});
  throwsConfig(t, () => parseResources('{"memory": {"limit": "1G"}}', '-'), '-: /memory/limit: must be an integer');
  throwsConfig(t, () => parseResources('{"cpu": {"shares": -1}}', 'r.json'), 'r.json: /cpu/shares: must be an integer between 0 and 18446744073709551615');
  throwsConfig(t, () => parseResources('{"memory": }', 'r.json'), "r.json: line 1, column 12: unexpected token '}'");
  throwsConfig(t, () => parseResources('[]', 'r.json'), 'r.json: must be an object');
});

t.test('exec process.json body', async (t) => {
  const p = parseProcess(read('process.json'), 'process.json');
  t.same(p.args, ['/bin/ps', 'aux']);
  t.equal(p.rlimits[0].hard, 18446744073709551615n);
  t.same(p['x-vendor-extension'], { anything: [1, 2, 3] }, 'extension kept');
  throwsConfig(t, () => parseProcess('{"user": {"uid": 0, "gid": 0}, "cwd": "tmp", "args": ["ls"]}', 'process.json'),
    'process.json: /cwd: must be an absolute path (got "tmp")');
  throwsConfig(t, () => parseProcess('{"user": {"uid": 0, "gid": 0}, "cwd": "/"}', 'process.json'), 'process.json: /args: must be a non-empty array');
  throwsConfig(t, () => parseProcess('{"user": {"uid": 0, "gid": 0}, "args": ["ls"]}', 'process.json'), 'process.json: missing required field "cwd"');
  throwsConfig(t, () => parseProcess('{"user": {"uid": 0}, "cwd": "/", "args": ["ls"]}', 'p.json'), 'p.json: /user: missing required field "gid"');
});
