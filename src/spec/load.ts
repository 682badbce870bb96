// Loading and validating a bundle's config.json (and the JSON bodies of
// `exec --process` and `update --resources`). Every problem is a ConfigError
// with a one-line message naming the file, the JSON pointer and the expectation.
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './errors';
import { JsonSyntaxError, parseJson64 } from './json64';
import { checkProcessSemantics, checkSpecSemantics } from './semantic';
import type { FsProbe, SemanticIssue } from './semantic';
import type { Process, Resources, Spec } from './types';
import { schemaCheck } from './validate';

export { ConfigError } from './errors';

export interface LoadedConfig {
  /** Absolute, symlink-free bundle directory. */
  bundle: string;
  /** Absolute path of the config file that was read. */
  configPath: string;
  spec: Spec;
  /** Absolute path of root.path resolved against the bundle. */
  rootfs: string;
}

export interface LoadOptions {
  /** Config file to read instead of <bundle>/config.json (relative paths are taken from the bundle). */
  configPath?: string;
}

export interface ValidateOptions {
  /** Absolute bundle directory: enables the root.path existence check. */
  bundle?: string;
  probe?: FsProbe;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && (err.code === 'ENOTREG' || err.code === 'EFBIG')) return err.message;
  return (err && err.code && ERRNO_TEXT[err.code]) || (err && err.code) || String(e);
}

/** Largest config or process file read (runc reads any size; a bound keeps memory bounded). */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Reads a config-like file: only a regular file (a FIFO would block, /dev/zero never
 * ends), at most MAX_CONFIG_BYTES. Errors carry the errno text or the reason.
 */
export function readConfigFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    if (st.size > MAX_CONFIG_BYTES) throw Object.assign(new Error(`larger than ${MAX_CONFIG_BYTES} bytes`), { code: 'EFBIG' });
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Parse JSON text (keeping big integers exact); syntax errors become ConfigError with line/column. */
export function parseJsonText(text: string, fileLabel: string): unknown {
  try {
    return parseJson64(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      throw new ConfigError(`${fileLabel}: ${e.message}`, { file: fileLabel, detail: e.message });
    }
    throw e;
  }
}

function throwFirst(issues: SemanticIssue[], fileLabel: string): void {
  if (issues.length > 0) throw ConfigError.at(fileLabel, issues[0].pointer, issues[0].detail);
}

/** Schema + semantic validation of a parsed config. Returns it typed as Spec. */
export function validateSpec(spec: unknown, fileLabel: string, opts: ValidateOptions = {}): Spec {
  schemaCheck('config', spec, fileLabel);
  const s = spec as Spec;
  throwFirst(checkSpecSemantics(s, { bundle: opts.bundle, probe: opts.probe }), fileLabel);
  return s;
}

/** Parse and validate config.json text (no filesystem checks). */
export function parseSpecText(text: string, fileLabel: string): Spec {
  return validateSpec(parseJsonText(text, fileLabel), fileLabel);
}

/** Parse and validate the body of `update --resources` (a LinuxResources object). */
export function parseResources(text: string, fileLabel: string): Resources {
  const data = parseJsonText(text, fileLabel);
  schemaCheck('resources', data, fileLabel);
  return data as Resources;
}

/** Parse and validate an exec process.json (a Process object). */
export function parseProcess(text: string, fileLabel: string): Process {
  const data = parseJsonText(text, fileLabel);
  schemaCheck('process', data, fileLabel);
  const proc = data as Process;
  throwFirst(checkProcessSemantics(proc, ''), fileLabel);
  return proc;
}

/** Read, parse and fully validate <bundle>/config.json. */
export function loadBundleConfig(bundleDir: string, opts: LoadOptions = {}): LoadedConfig {
  const st = statSync(bundleDir, { throwIfNoEntry: false });
  if (!st) throw new ConfigError(`bundle ${bundleDir} does not exist`);
  if (!st.isDirectory()) throw new ConfigError(`bundle ${bundleDir} is not a directory`);
  let bundle: string;
  try {
    bundle = realpathSync(bundleDir);
  } catch (e) {
    throw new ConfigError(`bundle ${bundleDir}: ${errnoText(e)}`);
  }

  const label = opts.configPath ?? 'config.json';
  const configPath = resolve(bundle, label);
  let text: string;
  try {
    text = readConfigFile(configPath);
  } catch (e) {
    throw new ConfigError(`bundle ${bundleDir}: ${label}: ${errnoText(e)}`, { file: label, detail: errnoText(e) });
  }

  const spec = validateSpec(parseJsonText(text, label), label, { bundle });
  // root is required by the schema
  const rootfs = resolve(bundle, spec.root!.path);
  return { bundle, configPath, spec, rootfs };
}
