// Thin wrappers for the new mount API (open_tree, move_mount, mount_setattr on
// an fd): one call each, failures become SysError. No policy lives here.
import { syscall } from './libc';

export const OPEN_TREE_CLONE = 0x1;
export const OPEN_TREE_CLOEXEC = 0x80000;
export const AT_EMPTY_PATH = 0x1000;
export const AT_RECURSIVE = 0x8000;
export const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
export const MOVE_MOUNT_T_EMPTY_PATH = 0x40;
export const MOUNT_ATTR_IDMAP = 0x100000;
const AT_FDCWD = -100;

/** open_tree(2): with OPEN_TREE_CLONE, a detached copy of the mount (tree) at `path`; returns its fd. */
export function openTree(path: string, flags: number, dirfd = AT_FDCWD): number {
  return syscall('open_tree', path, 'int', dirfd, 'const char *', path, 'unsigned int', flags);
}

/**
 * mount_setattr(2) on the mount an fd refers to (AT_EMPTY_PATH): struct mount_attr
 * {attr_set, attr_clr, propagation (one MS_* type or 0), userns_fd (for MOUNT_ATTR_IDMAP)}.
 */
export function mountSetattrFd(fd: number, flags: number, attrSet: number, attrClr: number, propagation: number, usernsFd: number, what?: string): void {
  const attr = new BigUint64Array([BigInt(attrSet), BigInt(attrClr), BigInt(propagation), BigInt(usernsFd)]);
  syscall('mount_setattr', what, 'int', fd, 'const char *', '', 'unsigned int', flags | AT_EMPTY_PATH, 'void *', attr, 'size_t', 32);
}

/** move_mount(2); `what` names the target in errors. */
export function moveMount(fromFd: number, fromPath: string, toFd: number, toPath: string, flags: number, what?: string): void {
  syscall('move_mount', what ?? toPath, 'int', fromFd, 'const char *', fromPath, 'int', toFd, 'const char *', toPath, 'unsigned int', flags);
}
