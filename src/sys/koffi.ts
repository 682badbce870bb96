// Where the koffi module comes from. require('koffi') costs ~10 ms (its loader
// searches for the platform's native build); the build records that native
// file in dist/koffi-native.json, and loading it directly costs ~1 ms. When
// the record is missing or stale (another koffi version), the package's own
// loader is used. A CLI started from the start-up snapshot has only a
// built-in-modules require, so its entry installs a real one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Koffi from 'koffi';

type RequireFn = (id: string) => unknown;

export interface NativeRecord { file: string; version: string }

// eslint-disable-next-line @typescript-eslint/no-var-requires
let requireModule: RequireFn = (id) => require(id);
let distDir: string | undefined;
let koffi: typeof Koffi | undefined;

/** The require to fall back on, and the dist directory holding koffi-native.json. */
export function configureKoffiLoading(opts: { require?: RequireFn; distDir?: string }): void {
  if (opts.require) requireModule = opts.require;
  if (opts.distDir) distDir = opts.distDir;
}

function loadRecorded(): typeof Koffi | undefined {
  if (!distDir) return undefined;
  try {
    const rec = JSON.parse(fs.readFileSync(path.join(distDir, 'koffi-native.json'), 'utf8')) as NativeRecord;
    const mod = { exports: {} as { version?: string } };
    process.dlopen(mod, path.resolve(distDir, rec.file));
    return mod.exports.version === rec.version ? (mod.exports as unknown as typeof Koffi) : undefined;
  } catch {
    return undefined;
  }
}

export function loadKoffi(): typeof Koffi {
  if (!koffi) koffi = loadRecorded() ?? (requireModule('koffi') as typeof Koffi);
  return koffi;
}
