// CRIU's rpc.proto (src/checkpoint/rpc.proto) as a protobufjs JSON descriptor, so that
// run time needs only protobufjs/light (no .proto parser, no file to find next to the bundle).
// Output: src/checkpoint/generated/rpc.json (esbuild bundles it; tsc copies it into dist/lib).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const parsed = protobuf.parse(readFileSync(join(root, 'src/checkpoint/rpc.proto'), 'utf8'), { keepCase: true });
const json = JSON.stringify(parsed.root.toJSON()) + '\n';
mkdirSync(join(root, 'src/checkpoint/generated'), { recursive: true });
writeFileSync(join(root, 'src/checkpoint/generated/rpc.json'), json);
