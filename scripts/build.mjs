// Build: generate the standalone schema validators, type-check and compile the
// library (dist/lib, used by tests), and bundle the CLI into one file (dist/ocits.js)
// so that a command loads a single script (koffi stays external: it is native),
// then a V8 start-up snapshot of that CLI (dist/ocits.blob) for bin/ocits to start from.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

if (existsSync(join(root, 'scripts/gen-validators.mjs'))) run(process.execPath, ['scripts/gen-validators.mjs']);
run(process.execPath, ['scripts/gen-criu-rpc.mjs']);
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
const bundle = (entry, outfile) => esbuild.build({
  entryPoints: [join(root, entry)],
  outfile: join(root, outfile),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['koffi'],
  logLevel: 'warning',
  minify: !process.env.OCITS_BUILD_READABLE,
  keepNames: false,
});
await bundle('src/cli/entry.ts', 'dist/ocits.js');
await bundle('src/cli/snapshot-entry.ts', 'dist/ocits-snapshot.js');

// The native koffi module the package's loader picks here, for src/sys/koffi.ts to load directly.
const probe = "require('koffi'); const f = Object.keys(require.cache).find((k) => k.endsWith('.node'));" +
  "console.log(JSON.stringify({ file: f, version: require('koffi').version }))";
const native = JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: root, encoding: 'utf8' }));
native.file = relative(join(root, 'dist'), native.file);
writeFileSync(join(root, 'dist/koffi-native.json'), JSON.stringify(native) + '\n');

// The start-up snapshot bin/ocits starts from. It must be built by the node that
// will load it, with the same V8 flags (node refuses a snapshot built otherwise).
rmSync(join(root, 'dist/ocits.blob'), { force: true });
run(process.execPath, [
  '--single-threaded', '--v8-pool-size=0', '--no-warnings',
  '--snapshot-blob', join(root, 'dist/ocits.blob'), '--build-snapshot', join(root, 'dist/ocits-snapshot.js'),
]);
