// Path helpers: lexical cleaning (Go path.Clean semantics) and resolution of a
// container path inside a rootfs, following symlinks as if the rootfs were "/".
// Pure: the only file-system access is the injected lstat-like function.

/** Maximum number of symlinks followed while resolving one path (like the kernel's MAXSYMLINKS-ish limit used by securejoin). */
export const MAX_SYMLINKS = 255;

/**
 * Lexically clean a slash-separated path, like Go's path.Clean: collapse repeated
 * slashes, drop "." elements, resolve ".." against the previous element (".." at the
 * root stays at the root), drop a trailing slash. Empty input gives ".".
 */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const body = out.join('/');
  if (rooted) return '/' + body;
  return body === '' ? '.' : body;
}

/** True if `child` equals `parent` or lies below it (lexically, after cleaning both). */
export function isSubpath(parent: string, child: string): boolean {
  const p = cleanPath(parent);
  const c = cleanPath(child);
  if (p === c) return true;
  if (p === '/') return c.startsWith('/');
  if (p === '.') return !c.startsWith('/') && c !== '..' && !c.startsWith('../');
  return c.startsWith(p + '/');
}

/** Join a container path onto a host rootfs lexically ("..", absolute paths cannot escape). No symlink handling. */
export function joinInRoot(rootfs: string, containerPath: string): string {
  const root = cleanPath(rootfs);
  const rel = cleanPath('/' + containerPath);
  if (rel === '/') return root;
  return root === '/' ? rel : root + rel;
}

/** Path of `hostPath` relative to `rootfs` as an absolute container path, or null if it is outside. */
export function containerPathOf(rootfs: string, hostPath: string): string | null {
  const root = cleanPath(rootfs);
  const h = cleanPath(hostPath);
  if (!isSubpath(root, h)) return null;
  if (h === root) return '/';
  return root === '/' ? h : h.slice(root.length);
}

/** What the injected lstat reports about one host path. */
export interface LstatResult {
  isSymlink: boolean;
  /** Link target (readlink), required when isSymlink. */
  target?: string;
}

/** lstat+readlink on a host path; null when the path does not exist. May throw on other errors. */
export type LstatLike = (hostPath: string) => LstatResult | null;

/** Error thrown when more than MAX_SYMLINKS links are followed. */
export class SymlinkLoopError extends Error {
  readonly code = 'ELOOP';
  constructor(readonly path: string) {
    super(`${path}: too many levels of symbolic links`);
    this.name = 'SymlinkLoopError';
  }
}

/**
 * Resolve `unsafePath` (a path inside the container) to a host path under `rootfs`,
 * following symlinks component by component. Absolute link targets and ".." are
 * interpreted relative to the rootfs and can never climb above it. Components that do
 * not exist are kept as they are (lexically), so the result may name a path to create.
 * Throws SymlinkLoopError after MAX_SYMLINKS links.
 */
export function securePathInRoot(rootfs: string, unsafePath: string, lstat: LstatLike): string {
  const root = cleanPath(rootfs);
  const hostOf = (containerRel: string[]): string =>
    containerRel.length === 0 ? root : (root === '/' ? '' : root) + '/' + containerRel.join('/');

  // Resolved components so far (container path, relative to the root).
  const current: string[] = [];
  // Pending components, consumed from the front.
  let pending: string[] = unsafePath.split('/');
  let links = 0;

  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      // Never above the root.
      current.pop();
      continue;
    }
    current.push(part);
    const st = lstat(hostOf(current));
    if (st === null || !st.isSymlink) continue;

    links++;
    if (links > MAX_SYMLINKS) throw new SymlinkLoopError(unsafePath);
    const target = st.target ?? '';
    // The link itself is replaced by its target, interpreted from its parent directory
    // (or from the root, for absolute targets).
    current.pop();
    if (target.startsWith('/')) current.length = 0;
    pending = target.split('/').concat(pending);
  }
  return hostOf(current);
}

/** Like securePathInRoot but returns the resolved path as a container path ("/etc/passwd"). */
export function securePathInContainer(rootfs: string, unsafePath: string, lstat: LstatLike): string {
  const host = securePathInRoot(rootfs, unsafePath, lstat);
  return containerPathOf(rootfs, host) ?? '/';
}
