// `update` as runc's (issue 10 item 11): runc's flag spelling --cpu-share, and a device deny
// rule given with --resources - is enforced at once in the running container.
import t from 'tap';
import * as fs from 'node:fs';
import { makeBundle, makeRoot, ocits, uniqueId, leftovers, isRoot } from '../lib/bundle.mjs';

t.ok(isRoot, 'runs as root (a real container)');
const root = makeRoot();
const id = uniqueId('upd');
const cg = `/ocits-upd-${process.pid}`;
const b = makeBundle(['sh', '-c', 'exec sleep 60 >/dev/null 2>&1 </dev/null'], (c) => { c.linux.cgroupsPath = cg; });
t.teardown(() => { ocits(['--root', root, 'delete', '--force', id]); b.cleanup(); fs.rmSync(root, { recursive: true, force: true }); });

t.equal(ocits(['--root', root, 'run', '-d', '--bundle', b.dir, id]).status, 0, 'runs detached');
const inside = (script) => ocits(['--root', root, 'exec', id, 'sh', '-c', script]);
t.equal(inside('echo x > /dev/null && echo ok').stdout, 'ok\n', '/dev/null writable before');

const u = ocits(['--root', root, 'update', '--cpu-share', '512', id]);
t.equal(u.status, 0, u.stderr);
t.equal(fs.readFileSync(`/sys/fs/cgroup/cpu${cg}/cpu.shares`, 'utf8').trim(), '512', '--cpu-share sets cpu.shares');

const d = ocits(['--root', root, 'update', '--resources', '-', id], { input: JSON.stringify({ devices: [{ allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }] }) });
t.equal(d.status, 0, d.stderr);
const after = inside('echo x > /dev/null && echo ok');
t.equal(after.stdout, '', 'writing /dev/null is refused after the deny rule');
t.match(after.stderr, /Operation not permitted/);
t.equal(ocits(['--root', root, 'delete', '--force', id]).status, 0);
t.same(leftovers(root, b.dir, id), []);
