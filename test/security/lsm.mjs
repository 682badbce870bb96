// Fail closed on labels ocits cannot apply (CVE-2019-16884, CVE-2023-28642
// started as AppArmor bypasses): an AppArmor profile, SELinux process label or
// mount label in a config, or on exec, is refused naming the field and why,
// and `features` says AppArmor and SELinux are not enabled. This host has
// neither module, as runc 1.1.5 also finds (it refuses each of the three).
// Checklist row: apparmor-applied (the refusal half; ocits applies no profile).
import t from 'tap';
import { fixture, fileRoot, isRoot, ocits } from '../lib/bundle.mjs';

t.ok(isRoot, 'security tests run as root');
const root = fileRoot(t);

t.test('labels in config.json are refused, naming the field', async (t) => {
  for (const [field, edit] of [
    ['/process/apparmorProfile', (c) => { c.process.apparmorProfile = 'docker-default'; }],
    ['/process/selinuxLabel', (c) => { c.process.selinuxLabel = 'system_u:system_r:container_t:s0'; }],
    ['/linux/mountLabel', (c) => { c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'; }],
  ]) {
    const f = fixture(t, root, ['sh', '-c', 'echo STARTED'], edit);
    const r = f.run();
    t.not(r.status, 0, `${field}: refused`);
    t.notMatch(r.stdout, /STARTED/, `${field}: never ran unconfined`);
    t.match(r.stderr, new RegExp(`^ocits: run: config\\.json: ${field.replace(/\//g, '\\/')}: ".*" cannot be applied: (AppArmor|SELinux) (is not enabled on this host|is enabled on this host but ocits cannot apply)`), r.stderr.trim());
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.same(f.leftovers(), []);
  }
  // Control: an empty label is no label.
  const f = fixture(t, root, ['sh', '-c', 'echo STARTED'], (c) => { c.process.apparmorProfile = ''; });
  t.equal(f.run().stdout, 'STARTED\n', 'control: an empty profile runs');
});

t.test('exec --apparmor, --process-label and a process.json label are refused', async (t) => {
  const f = fixture(t, root, ['sleep', '60']);
  t.equal(f.create().status, 0);
  t.equal(f.cli('start', f.id).status, 0);
  t.match(f.cli('exec', '--apparmor', 'p', f.id, 'true').stderr, /^ocits: exec: --apparmor: "p" cannot be applied: AppArmor/);
  t.match(f.cli('exec', '--process-label', 'l', f.id, 'true').stderr, /^ocits: exec: --process-label: "l" cannot be applied: SELinux/);
  const p = { terminal: false, user: { uid: 0, gid: 0 }, args: ['true'], cwd: '/', apparmorProfile: 'x' };
  const r = ocits(['--root', root, 'exec', '--process', '-', f.id], { input: JSON.stringify(p) });
  t.match(r.stderr, /^ocits: exec: -: \/apparmorProfile: "x" cannot be applied/);
  t.equal(f.cli('exec', f.id, 'true').status, 0, 'control: a plain exec runs');
});

t.test('features says AppArmor and SELinux are not enabled', async (t) => {
  const doc = JSON.parse(ocits(['features']).stdout);
  t.same(doc.linux.apparmor, { enabled: false });
  t.same(doc.linux.selinux, { enabled: false });
});
