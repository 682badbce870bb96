// Build: generate the standalone schema validators, type-check and compile the
// library (dist/lib, used by tests), and bundle the CLI into one file (dist/ocits.js)
// so that a command loads a single script (koffi stays external: it is native).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

if (existsSync(join(root, 'scripts/gen-validators.mjs'))) run(process.execPath, ['scripts/gen-validators.mjs']);
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
await esbuild.build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(root, 'dist/ocits.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['koffi'],
  logLevel: 'warning',
  minify: true,
  keepNames: false,
});
