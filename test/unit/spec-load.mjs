import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures, load, throwsConfig } from '../fixtures/spec/helpers.mjs';

const { loadBundleConfig } = load;
const tmp = mkdtempSync(join(tmpdir(), 'ocits-spec-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh bundle dir with the given config text (or the full fixture) and an optional rootfs dir. */
function bundle({ config, rootfs = true } = {}) {
  const dir = join(tmp, `b${n++}`);
  mkdirSync(dir);
  if (rootfs) mkdirSync(join(dir, 'rootfs'));
  if (config === undefined) copyFileSync(join(fixtures, 'full', 'config.json'), join(dir, 'config.json'));
  else if (config !== null) writeFileSync(join(dir, 'config.json'), config);
  return dir;
}

t.test('loads the full fixture bundle', async (t) => {
  const dir = bundle();
  const c = loadBundleConfig(dir);
  t.equal(c.bundle, dir);
  t.equal(c.configPath, join(dir, 'config.json'));
  t.equal(c.rootfs, join(dir, 'rootfs'));
  t.equal(c.spec.process.rlimits[0].hard, 18446744073709551615n);
  t.equal(c.spec.linux.resources.memory.limit, -1);
});

t.test('loads the checked-in fixture bundles', async (t) => {
  for (const name of ['full', 'runc-default']) {
    const c = loadBundleConfig(join(fixtures, name));
    t.equal(c.rootfs, join(fixtures, name, 'rootfs'), name);
  }
});

t.test('bundle path is made absolute and symlink-free', async (t) => {
  const dir = bundle();
  const link = join(tmp, 'link');
  symlinkSync(dir, link);
  const c = loadBundleConfig(link);
  t.equal(c.bundle, dir);
  t.equal(c.rootfs, join(dir, 'rootfs'));
  const rel = loadBundleConfig(join(tmp, '.', 'link', '..', 'link'));
  t.equal(rel.bundle, dir);
});

t.test('absolute root.path is used as is', async (t) => {
  const abs = join(tmp, 'abs-root');
  mkdirSync(abs);
  const dir = bundle({ config: JSON.stringify({ ociVersion: '1.2.0', root: { path: abs } }), rootfs: false });
  t.equal(loadBundleConfig(dir).rootfs, abs);
});

t.test('configPath option', async (t) => {
  const dir = bundle();
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ ociVersion: '1.2.0', root: { path: 'rootfs' }, hostname: 7 }));
  throwsConfig(t, () => loadBundleConfig(dir, { configPath: 'other.json' }), 'other.json: /hostname: must be a string');
  const abs = join(dir, 'other.json');
  throwsConfig(t, () => loadBundleConfig(dir, { configPath: abs }), `${abs}: /hostname: must be a string`);
  throwsConfig(t, () => loadBundleConfig(dir, { configPath: 'nope.json' }), `bundle ${dir}: nope.json: no such file or directory`);
});

t.test('bundle and config file problems', async (t) => {
  const missing = join(tmp, 'does-not-exist');
  throwsConfig(t, () => loadBundleConfig(missing), `bundle ${missing} does not exist`);
  const file = join(tmp, 'a-file');
  writeFileSync(file, '');
  throwsConfig(t, () => loadBundleConfig(file), `bundle ${file} is not a directory`);
  const noConfig = bundle({ config: null });
  throwsConfig(t, () => loadBundleConfig(noConfig), `bundle ${noConfig}: config.json: no such file or directory`);
  const dirConfig = bundle({ config: null });
  mkdirSync(join(dirConfig, 'config.json'));
  throwsConfig(t, () => loadBundleConfig(dirConfig), `bundle ${dirConfig}: config.json: is a directory`);
});

t.test('content problems', async (t) => {
  throwsConfig(t, () => loadBundleConfig(bundle({ config: '{\n  "ociVersion": "1.2.0",\n      }' })),
    "config.json: line 3, column 7: unexpected token '}', expected a string key");
  const noRoot = bundle({ rootfs: false });
  throwsConfig(t, () => loadBundleConfig(noRoot), `config.json: /root/path: root filesystem ${join(noRoot, 'rootfs')} does not exist`);
  const fileRoot = bundle({ rootfs: false });
  writeFileSync(join(fileRoot, 'rootfs'), '');
  throwsConfig(t, () => loadBundleConfig(fileRoot), `config.json: /root/path: root filesystem ${join(fileRoot, 'rootfs')} is not a directory`);
  throwsConfig(t, () => loadBundleConfig(bundle({ config: '{"ociVersion": "1.2.0", "root": {"path": "rootfs"}, "process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "args": []}}' })),
    'config.json: /process/args: must be a non-empty array');
});
