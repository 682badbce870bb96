// linux.cgroupsPath → the container's cgroup path inside a hierarchy. Pure.
//   absent            → <id>, relative as runc's (systemd: system.slice:ocits:<id>)
//   "/a/b"            → /a/b in every hierarchy
//   "a/b"             → <the runtime's own cgroup in that hierarchy>/a/b (as runc does)
//   "slice:prefix:name" (systemd flag) → the directory systemd would use for that
//                        scope, e.g. /system.slice/ocits-abc.scope
import { CgroupError } from './errors';

const F = 'linux.cgroupsPath';

export interface PathSpec {
  /** Cleaned; absolute paths start with "/". */
  path: string;
  relative: boolean;
}

/** Lexical clean; null if ".." climbs above the start (the hierarchy root for absolute paths). */
export function cleanCgroupPath(p: string): string | null {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(part);
  }
  return '/' + out.join('/');
}

/** systemd slice name → its path: "a-b.slice" → "/a.slice/a-b.slice"; "-.slice" → "/". */
export function expandSlice(slice: string): string {
  const bad = (why: string) => new CgroupError(`invalid systemd slice "${slice}": ${why}`, F);
  if (!slice.endsWith('.slice') || slice.length <= '.slice'.length) throw bad('must end with ".slice"');
  if (slice.includes('/')) throw bad('must not contain "/"');
  if (slice === '-.slice') return '/';
  const body = slice.slice(0, -'.slice'.length);
  const parts = body.split('-');
  if (parts.some((p) => p === '')) throw bad('empty component between dashes');
  let path = '';
  let prefix = '';
  for (const p of parts) {
    prefix = prefix ? `${prefix}-${p}` : p;
    path += `/${prefix}.slice`;
  }
  return path;
}

function systemdPath(spec: string): string {
  const parts = spec.split(':');
  if (parts.length !== 3) throw new CgroupError(`"${spec}" is not of the form slice:prefix:name (systemd cgroup driver)`, F);
  const [slice, prefix, name] = parts;
  if (!name) throw new CgroupError(`"${spec}": the name part is empty`, F);
  if (name.includes('/') || prefix.includes('/')) throw new CgroupError(`"${spec}": prefix and name must not contain "/"`, F);
  const parent = expandSlice(slice || 'system.slice');
  const unit = name.endsWith('.slice') ? name : prefix ? `${prefix}-${name}.scope` : `${name}.scope`;
  if (name.endsWith('.slice')) expandSlice(name);
  return parent === '/' ? `/${unit}` : `${parent}/${unit}`;
}

export function parseCgroupsPath(cgroupsPath: string | undefined, id: string, systemd = false): PathSpec {
  let p = cgroupsPath;
  if (p !== undefined && typeof p !== 'string') throw new CgroupError('must be a string', F);
  // runc's default: the id, under the runtime's own cgroup in each hierarchy.
  if (!p) p = systemd ? `system.slice:ocits:${id}` : id;
  if (p.includes('\0')) throw new CgroupError('must not contain NUL', F);
  if (systemd) return { path: systemdPath(p), relative: false };
  const relative = !p.startsWith('/');
  if (relative) {
    // Cleaned later against the runtime's own cgroup; only syntax is checked here.
    return { path: p.split('/').filter((x) => x !== '' && x !== '.').join('/') || '.', relative };
  }
  const clean = cleanCgroupPath(p);
  if (clean === null) throw new CgroupError(`"${p}" escapes the cgroup hierarchy`, F);
  if (clean === '/') throw new CgroupError(`"${p}" is the root cgroup; a container needs its own cgroup`, F);
  return { path: clean, relative };
}

/** The container's cgroup path in one hierarchy, given the runtime's own cgroup there. */
export function resolveIn(spec: PathSpec, ownPath: string): string {
  if (!spec.relative) return spec.path;
  const joined = cleanCgroupPath(`${ownPath}/${spec.path}`);
  if (joined === null) throw new CgroupError(`"${spec.path}" escapes the cgroup hierarchy (relative to ${ownPath})`, F);
  if (joined === '/') throw new CgroupError(`"${spec.path}" resolves to the root cgroup`, F);
  return joined;
}
