// runtime.md "State" and "Query State": the state document through the
// lifecycle, checked against the host's view of the container process.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { clause, fixture, isRoot, nsOf, procStatus, cmdline, STATE_SCHEMA, waitFor, refused } from './lib/harness.mjs';

t.ok(isRoot, 'conformance tests run as root');
const validateState = new Ajv({ allErrors: true, strict: false }).compile(STATE_SCHEMA);
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** A container created from `sleep 30`, with a marker file in its rootfs. */
function created(t, edit) {
  const c = fixture(t, ['sleep', '30'], edit);
  fs.writeFileSync(path.join(c.b.rootfs, 'conformance-marker'), c.id);
  const r = c.create();
  t.equal(r.status, 0, `create succeeds ${r.stderr}`);
  return c;
}

clause('runtime.md State: "ociVersion" (REQUIRED) is the runtime-spec version (SemVer) the state complies with, in every status', async (t) => {
  const c = fixture(t, ['sh', '-c', 'sleep 0.5']);
  t.equal(c.create().status, 0);
  t.match(c.state()?.ociVersion, SEMVER, 'created');
  t.equal(c.start().status, 0);
  t.match(c.state()?.ociVersion, SEMVER, 'running');
  const st = await c.waitStatus('stopped');
  t.match(st?.ociVersion, SEMVER, 'stopped');
});

clause('runtime.md State: "id" (REQUIRED) is the container\'s ID', async (t) => {
  const c = created(t);
  t.equal(c.state()?.id, c.id);
});

clause('runtime.md State: "status" is "created" once the runtime has finished create and the process has neither exited nor executed the user program', async (t) => {
  const c = created(t);
  const st = c.state();
  t.equal(st?.status, 'created');
  t.not(cmdline(st?.pid)?.[0], 'sleep', 'the user program has not been executed');
});

clause('runtime.md State: "status" is "running" once the container process has executed the user program and has not exited', async (t) => {
  const c = created(t);
  t.equal(c.start().status, 0);
  const st = c.state();
  t.equal(st?.status, 'running');
  await waitFor(() => cmdline(st.pid)?.[0] === 'sleep', 3000);
  t.same(cmdline(st?.pid), ['sleep', '30'], 'the process runs the user program');
});

clause('runtime.md State: "status" is "stopped" once the container process has exited', async (t) => {
  const c = fixture(t, ['true']);
  t.equal(c.create().status, 0);
  const pid = c.state()?.pid;
  t.equal(c.start().status, 0);
  const st = await c.waitStatus('stopped');
  t.equal(st?.status, 'stopped');
  t.notOk(fs.existsSync(`/proc/${pid}/cmdline`) && cmdline(pid)?.length > 0, 'the process is gone');
});

clause('runtime.md State: status values beyond creating/created/running/stopped MUST represent new runtime states (a plain lifecycle reports only the defined ones)', async (t) => {
  const c = fixture(t, ['sh', '-c', 'sleep 0.5']);
  const seen = [];
  t.equal(c.create().status, 0);
  seen.push(c.state()?.status);
  t.equal(c.start().status, 0);
  seen.push(c.state()?.status);
  seen.push((await c.waitStatus('stopped'))?.status);
  t.same(seen, ['created', 'running', 'stopped']);
});

clause('runtime.md State: "pid" (REQUIRED when created) MUST be the ID of the container process as seen by the host (created)', async (t) => {
  const c = created(t);
  const pid = c.state()?.pid;
  t.type(pid, 'number');
  t.ok(Number.isInteger(pid) && pid > 0, 'a positive integer');
  const nspid = procStatus(pid, 'NSpid')?.split(/\s+/);
  t.equal(nspid?.[0], String(pid), 'the host pid of a live process');
  t.equal(nspid?.[nspid.length - 1], '1', 'which is pid 1 of the container pid namespace');
  t.not(nsOf(pid, 'pid'), nsOf(process.pid, 'pid'), 'in the container pid namespace');
  t.equal(fs.readFileSync(`/proc/${pid}/root/conformance-marker`, 'utf8'), c.id, 'whose root is the bundle rootfs');
});

clause('runtime.md State: "pid" (REQUIRED when running) MUST be the ID of the container process as seen by the host (running)', async (t) => {
  const c = created(t);
  const before = c.state()?.pid;
  t.equal(c.start().status, 0);
  const pid = c.state()?.pid;
  t.equal(pid, before, 'the same process as when created');
  await waitFor(() => cmdline(pid)?.[0] === 'sleep', 3000);
  t.same(cmdline(pid), ['sleep', '30'], 'the host pid runs the user program');
  t.equal(fs.readFileSync(`/proc/${pid}/root/conformance-marker`, 'utf8'), c.id);
});

clause('runtime.md State: "bundle" (REQUIRED) is the absolute path to the container\'s bundle directory', async (t) => {
  const c = fixture(t, ['sleep', '30']);
  const parent = path.dirname(c.b.dir);
  const r = c.cli(['create', '--bundle', path.basename(c.b.dir), c.id], { cwd: parent });
  t.equal(r.status, 0, `create with a relative --bundle ${r.stderr}`);
  const st = c.state();
  t.ok(path.isAbsolute(st?.bundle ?? ''), 'absolute');
  t.equal(fs.realpathSync(st?.bundle), fs.realpathSync(c.b.dir), 'the bundle directory');
});

clause('runtime.md State: "annotations" contains the list of annotations associated with the container', async (t) => {
  const ann = { 'org.example.conformance': 'yes', 'org.example.empty': '' };
  const c = created(t, (cfg) => { cfg.annotations = ann; });
  t.same(c.state()?.annotations, ann);
});

clause('runtime.md State: if no annotations were provided, "annotations" MAY be absent or an empty map (and nothing else)', async (t) => {
  const c = created(t);
  const a = c.state()?.annotations;
  t.ok(a === undefined || (typeof a === 'object' && a !== null && Object.keys(a).length === 0), `got ${JSON.stringify(a)}`);
});

clause('runtime.md State: when serialized in JSON, the state MUST adhere to the state JSON schema (created, running, stopped)', async (t) => {
  const c = fixture(t, ['sh', '-c', 'sleep 0.5'], (cfg) => { cfg.annotations = { 'org.example.k': 'v' }; });
  t.equal(c.create().status, 0);
  for (const want of ['created', 'running', 'stopped']) {
    if (want === 'running') t.equal(c.start().status, 0);
    const st = want === 'stopped' ? await c.waitStatus('stopped') : c.state();
    t.ok(validateState(st), `${want}: ${validateState.errors ? JSON.stringify(validateState.errors) : 'valid'}`);
    t.equal(st?.status, want);
    if (want !== 'stopped') t.type(st?.pid, 'number', `${want}: pid present`);
  }
});

clause('runtime.md Query State: this operation MUST generate an error if it is not provided the ID of a container', async (t) => {
  const c = fixture(t, ['true']);
  const r = c.cli(['state']);
  refused(t, r, 'state', /missing required argument 'id'/);
  t.equal(r.stdout, '', 'no state document printed');
});

clause('runtime.md Query State: attempting to query a container that does not exist MUST generate an error', async (t) => {
  const c = fixture(t, ['true']);
  const r = c.cli(['state', `${c.id}-missing`]);
  refused(t, r, 'state', /does not exist/);
  t.equal(r.stdout, '');
  t.match(r.stderr, /./, 'an error message');
});

clause('runtime.md Query State: this operation MUST return the state of the container as specified in the State section', async (t) => {
  const c = created(t);
  const st = c.state();
  t.ok(validateState(st), validateState.errors ? JSON.stringify(validateState.errors) : 'valid against the state schema');
  t.same(Object.keys(st).filter((k) => !['ociVersion', 'id', 'status', 'pid', 'bundle', 'annotations'].includes(k)), ['rootfs', 'created', 'owner'],
    'State properties plus runc\'s rootfs, created and owner (additional ones MAY exist)');
  t.equal(st.rootfs, c.b.rootfs, 'rootfs is the bundle\'s root.path');
  t.ok(!Number.isNaN(Date.parse(st.created)), 'created is a timestamp');
});
