// `npm run demo:rootless`: the default bundle (bundles/host) run by an unprivileged
// user. Its config gets a user namespace mapping the caller's own uid and gid to 0
// (what `ocits spec --rootless` writes) and loses the devpts gid=5 the caller
// cannot map; the rootfs stays the clone's bundles/host/rootfs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = JSON.parse(fs.readFileSync(path.join(repo, 'bundles/host/config.json'), 'utf8'));
config.root.path = path.join(repo, 'bundles/host/rootfs');
config.linux.namespaces.push({ type: 'user' });
config.linux.uidMappings = [{ containerID: 0, hostID: process.getuid(), size: 1 }];
config.linux.gidMappings = [{ containerID: 0, hostID: process.getgid(), size: 1 }];
for (const m of config.mounts) if (m.type === 'devpts') m.options = m.options.filter((o) => !o.startsWith('gid='));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-demo-'));
try {
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const r = spawnSync(path.join(repo, 'bin/ocits'), ['run', '--bundle', dir, `ocits-demo-${process.pid}`], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
