// config.md "Specification version", "Root", "Hostname", "Domainname",
// "Annotations", "Extensibility" and "Valid values".
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clause, fixture, isRoot, parseMountinfo, refused as refusal } from './lib/harness.mjs';

t.ok(isRoot, 'conformance tests run as root');

function refused(t, edit) {
  const c = fixture(t, ['true'], edit);
  const r = c.create();
  refusal(t, r, 'create', /./, c);
  t.equal(c.state(), null, 'no container');
}

clause('config.md Specification version: "ociVersion" MUST be in SemVer v2.0.0 format (runtimes MUST generate an error on invalid values)', async (t) => {
  refused(t, (cfg) => { cfg.ociVersion = 'not-a-version'; });
});

clause('config.md Root: "path" may be an absolute path to the root filesystem', async (t) => {
  const c = fixture(t, ['cat', '/conformance-marker'], (cfg) => { cfg.root.path = 'placeholder'; });
  fs.writeFileSync(path.join(c.b.rootfs, 'conformance-marker'), 'absolute\n');
  const cfg = JSON.parse(fs.readFileSync(path.join(c.b.dir, 'config.json'), 'utf8'));
  cfg.root.path = c.b.rootfs;
  c.b.write(cfg);
  t.equal(c.run().stdout, 'absolute\n');
});

clause('config.md Root: "path" may be relative to the bundle', async (t) => {
  const c = fixture(t, ['cat', '/conformance-marker']);
  fs.writeFileSync(path.join(c.b.rootfs, 'conformance-marker'), 'relative\n');
  t.equal(c.run().stdout, 'relative\n');
});

clause('config.md Root: a directory MUST exist at the path declared by the field (otherwise: error)', async (t) => {
  refused(t, (cfg) => { cfg.root.path = 'no-such-rootfs'; });
});

clause('config.md Root: if "readonly" is true the root filesystem MUST be read-only inside the container', async (t) => {
  const r = fixture(t, ['sh', '-c', 'touch /conformance-write 2>/dev/null && echo writable || echo readonly; cat /proc/self/mountinfo'],
    (cfg) => { cfg.root.readonly = true; }).run();
  t.match(r.stdout, /^readonly\n/, r.stderr);
  const root = parseMountinfo(r.stdout.split('\n').slice(1).join('\n')).filter((m) => m.mountPoint === '/').pop();
  t.ok(root?.opts.includes('ro'), `the root mount is ro (${root?.opts})`);
});

clause('config.md Root: "readonly" defaults to false (the root filesystem is writable)', async (t) => {
  const r = fixture(t, ['sh', '-c', 'touch /conformance-write && echo writable'], (cfg) => { delete cfg.root.readonly; }).run();
  t.equal(r.stdout, 'writable\n', r.stderr);
});

clause('config.md Hostname: "hostname" is the container\'s hostname as seen by processes inside the container (UTS namespace)', async (t) => {
  const r = fixture(t, ['hostname'], (cfg) => { cfg.hostname = 'conformance-hostname'; }).run();
  t.equal(r.stdout, 'conformance-hostname\n', r.stderr);
});

clause('config.md Domainname: "domainname" is the container\'s domainname as seen by processes inside the container', async (t) => {
  const r = fixture(t, ['cat', '/proc/sys/kernel/domainname'], (cfg) => { cfg.domainname = 'conformance.test'; }).run();
  t.equal(r.stdout, 'conformance.test\n', r.stderr);
});

clause('config.md Annotations: runtimes MUST handle unknown annotation keys like any other unknown property (no error)', async (t) => {
  const r = fixture(t, ['echo', 'ok'], (cfg) => { cfg.annotations = { 'com.example.ocits.unknown': 'x', 'org.example.empty': '' }; }).run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'ok\n');
});

clause('config.md Extensibility: runtimes MUST ignore unknown properties, not generating errors', async (t) => {
  const r = fixture(t, ['echo', 'ok'], (cfg) => {
    cfg.ocitsConformanceUnknown = { nested: [1, 2] };
    cfg.process.ocitsUnknown = true;
    cfg.linux.ocitsUnknown = 'x';
    cfg.mounts[0].ocitsUnknown = 1;
  }).run();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'ok\n');
});

clause('config.md Valid values: runtimes MUST generate an error when invalid or unsupported values are encountered (unknown namespace type)', async (t) => {
  refused(t, (cfg) => { cfg.linux.namespaces.push({ type: 'ocits-bogus' }); });
});

clause('config.md Valid values: runtimes MUST generate an error when invalid or unsupported values are encountered (negative uid)', async (t) => {
  refused(t, (cfg) => { cfg.process.user.uid = -1; });
});
