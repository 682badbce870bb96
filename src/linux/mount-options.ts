// Mount option words (as accepted in OCI config mounts[].options, runc-compatible) and
// their effect: MS_* flags for mount(2), propagation changes, recursive mount_setattr(2)
// attributes, and runtime extensions. Anything else is filesystem data. Pure.

// ---- mount(2) flags (include/uapi/linux/mount.h) ----
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_REMOUNT = 32;
export const MS_MANDLOCK = 64;
export const MS_DIRSYNC = 128;
export const MS_NOSYMFOLLOW = 256;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_SILENT = 32768;
export const MS_POSIXACL = 1 << 16;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_I_VERSION = 1 << 23;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;

/** All propagation-type bits. */
export const MS_PROPAGATION = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE;

// ---- mount_setattr(2) attributes ----
export const MOUNT_ATTR_RDONLY = 0x00000001;
export const MOUNT_ATTR_NOSUID = 0x00000002;
export const MOUNT_ATTR_NODEV = 0x00000004;
export const MOUNT_ATTR_NOEXEC = 0x00000008;
/** Mask of the access-time setting (a 3-bit field, not independent bits). */
export const MOUNT_ATTR__ATIME = 0x00000070;
export const MOUNT_ATTR_RELATIME = 0x00000000;
export const MOUNT_ATTR_NOATIME = 0x00000010;
export const MOUNT_ATTR_STRICTATIME = 0x00000020;
export const MOUNT_ATTR_NODIRATIME = 0x00000080;
export const MOUNT_ATTR_IDMAP = 0x00100000;
export const MOUNT_ATTR_NOSYMFOLLOW = 0x00200000;
/** AT_RECURSIVE flag for mount_setattr / open_tree. */
export const AT_RECURSIVE = 0x8000;

export type MountOptionEffect =
  /** Set (or clear) MS_* bits in the mount(2) flags. */
  | { kind: 'flag'; clear: boolean; flag: number }
  /** A propagation change, applied with a separate mount(2) call after mounting. */
  | { kind: 'propagation'; flag: number }
  /** Recursive attribute change via mount_setattr(AT_RECURSIVE). */
  | { kind: 'recattr'; clear: boolean; attr: number }
  /** Runtime extension (not a kernel option): idmap, ridmap, tmpcopyup. */
  | { kind: 'extension'; name: 'idmap' | 'ridmap' | 'tmpcopyup' };

const f = (flag: number, clear = false): MountOptionEffect => ({ kind: 'flag', clear, flag });
const p = (flag: number): MountOptionEffect => ({ kind: 'propagation', flag });
const r = (attr: number, clear = false): MountOptionEffect => ({ kind: 'recattr', clear, attr });

/** The option-word table. */
export const MOUNT_OPTION_TABLE: Readonly<Record<string, MountOptionEffect>> = Object.freeze({
  // mount(2) flag words
  defaults: f(0),
  ro: f(MS_RDONLY),
  rw: f(MS_RDONLY, true),
  nosuid: f(MS_NOSUID),
  suid: f(MS_NOSUID, true),
  nodev: f(MS_NODEV),
  dev: f(MS_NODEV, true),
  noexec: f(MS_NOEXEC),
  exec: f(MS_NOEXEC, true),
  sync: f(MS_SYNCHRONOUS),
  async: f(MS_SYNCHRONOUS, true),
  dirsync: f(MS_DIRSYNC),
  remount: f(MS_REMOUNT),
  mand: f(MS_MANDLOCK),
  nomand: f(MS_MANDLOCK, true),
  atime: f(MS_NOATIME, true),
  noatime: f(MS_NOATIME),
  diratime: f(MS_NODIRATIME, true),
  nodiratime: f(MS_NODIRATIME),
  relatime: f(MS_RELATIME),
  norelatime: f(MS_RELATIME, true),
  strictatime: f(MS_STRICTATIME),
  nostrictatime: f(MS_STRICTATIME, true),
  lazytime: f(MS_LAZYTIME),
  nolazytime: f(MS_LAZYTIME, true),
  iversion: f(MS_I_VERSION),
  noiversion: f(MS_I_VERSION, true),
  acl: f(MS_POSIXACL),
  noacl: f(MS_POSIXACL, true),
  silent: f(MS_SILENT),
  loud: f(MS_SILENT, true),
  nosymfollow: f(MS_NOSYMFOLLOW), // kernel >= 5.10
  symfollow: f(MS_NOSYMFOLLOW, true),
  bind: f(MS_BIND),
  rbind: f(MS_BIND | MS_REC),
  // propagation words
  private: p(MS_PRIVATE),
  rprivate: p(MS_PRIVATE | MS_REC),
  shared: p(MS_SHARED),
  rshared: p(MS_SHARED | MS_REC),
  slave: p(MS_SLAVE),
  rslave: p(MS_SLAVE | MS_REC),
  unbindable: p(MS_UNBINDABLE),
  runbindable: p(MS_UNBINDABLE | MS_REC),
  // recursive mount_setattr words (kernel >= 5.12)
  rro: r(MOUNT_ATTR_RDONLY),
  rrw: r(MOUNT_ATTR_RDONLY, true),
  rnosuid: r(MOUNT_ATTR_NOSUID),
  rsuid: r(MOUNT_ATTR_NOSUID, true),
  rnodev: r(MOUNT_ATTR_NODEV),
  rdev: r(MOUNT_ATTR_NODEV, true),
  rnoexec: r(MOUNT_ATTR_NOEXEC),
  rexec: r(MOUNT_ATTR_NOEXEC, true),
  rnodiratime: r(MOUNT_ATTR_NODIRATIME),
  rdiratime: r(MOUNT_ATTR_NODIRATIME, true),
  rrelatime: r(MOUNT_ATTR_RELATIME),
  rnorelatime: r(MOUNT_ATTR_RELATIME, true),
  rnoatime: r(MOUNT_ATTR_NOATIME),
  ratime: r(MOUNT_ATTR_NOATIME, true),
  rstrictatime: r(MOUNT_ATTR_STRICTATIME),
  rnostrictatime: r(MOUNT_ATTR_STRICTATIME, true),
  rnosymfollow: r(MOUNT_ATTR_NOSYMFOLLOW), // kernel >= 5.14
  rsymfollow: r(MOUNT_ATTR_NOSYMFOLLOW, true),
  // extensions (runc-compatible, not kernel options)
  idmap: { kind: 'extension', name: 'idmap' },
  ridmap: { kind: 'extension', name: 'ridmap' },
  tmpcopyup: { kind: 'extension', name: 'tmpcopyup' },
});

/** Every recognised option word, sorted (for the `features` command). */
export const MOUNT_OPTION_WORDS: readonly string[] = Object.freeze(Object.keys(MOUNT_OPTION_TABLE).sort());

/** Words in each category (for `features` / documentation). */
export function mountOptionWordsOfKind(kind: MountOptionEffect['kind']): string[] {
  return MOUNT_OPTION_WORDS.filter((w) => MOUNT_OPTION_TABLE[w].kind === kind);
}

export interface ParsedMountOptions {
  /** MS_* flags for mount(2) (never contains propagation bits). */
  flags: number;
  /** MS_* flags explicitly cleared by words such as rw/suid/dev (matters when remounting). */
  clearedFlags: number;
  /** Propagation changes in order, each a MS_{PRIVATE,SHARED,SLAVE,UNBINDABLE}[|MS_REC] value. */
  propagation: number[];
  /** mount_setattr attr_set / attr_clr (to apply recursively). */
  recAttrSet: number;
  recAttrClr: number;
  /** Unrecognised words, comma-joined, passed as mount(2) data. */
  data: string;
  /** idmap or ridmap was given (extension: ID-mapped bind mount). */
  idmap?: boolean;
  /** ridmap was given: the ID mapping applies to the whole subtree. */
  idmapRecursive?: boolean;
  /** tmpcopyup was given (extension: copy the underlying directory into a tmpfs). */
  tmpcopyup?: boolean;
}

/**
 * Parse an OCI mount options list. Later words override earlier ones (e.g. ro then rw → rw).
 * Unknown words are kept, in order, as the filesystem data string.
 */
export function parseMountOptions(options: readonly string[] | undefined): ParsedMountOptions {
  const res: ParsedMountOptions = { flags: 0, clearedFlags: 0, propagation: [], recAttrSet: 0, recAttrClr: 0, data: '' };
  const data: string[] = [];
  for (const word of options ?? []) {
    const eff = Object.prototype.hasOwnProperty.call(MOUNT_OPTION_TABLE, word) ? MOUNT_OPTION_TABLE[word] : undefined;
    if (!eff) {
      if (word !== '') data.push(word);
      continue;
    }
    switch (eff.kind) {
      case 'flag':
        if (eff.clear) {
          res.flags &= ~eff.flag;
          res.clearedFlags |= eff.flag;
        } else {
          res.flags |= eff.flag;
          res.clearedFlags &= ~eff.flag;
        }
        break;
      case 'propagation':
        res.propagation.push(eff.flag);
        break;
      case 'recattr':
        if (eff.clear) {
          res.recAttrClr |= eff.attr;
          res.recAttrSet &= ~eff.attr;
          // Clearing an access-time mode means the whole MOUNT_ATTR__ATIME field (back to relatime).
          if (eff.attr !== 0 && (eff.attr & MOUNT_ATTR__ATIME) === eff.attr) {
            res.recAttrClr |= MOUNT_ATTR__ATIME;
            res.recAttrSet &= ~MOUNT_ATTR__ATIME;
          }
        } else {
          res.recAttrSet |= eff.attr;
          res.recAttrClr &= ~eff.attr;
          // mount_setattr(2): an access-time mode in attr_set also needs MOUNT_ATTR__ATIME in attr_clr.
          if ((eff.attr & MOUNT_ATTR__ATIME) === eff.attr) {
            res.recAttrSet = (res.recAttrSet & ~MOUNT_ATTR__ATIME) | eff.attr;
            res.recAttrClr |= MOUNT_ATTR__ATIME;
          }
        }
        break;
      case 'extension':
        if (eff.name === 'tmpcopyup') res.tmpcopyup = true;
        else {
          res.idmap = true;
          if (eff.name === 'ridmap') res.idmapRecursive = true;
        }
        break;
    }
  }
  res.data = data.join(',');
  return res;
}

/** Human-readable list of the MS_* bits in a flags value (for debug logs and errors). */
export function describeMountFlags(flags: number): string[] {
  const names: [number, string][] = [
    [MS_RDONLY, 'MS_RDONLY'], [MS_NOSUID, 'MS_NOSUID'], [MS_NODEV, 'MS_NODEV'], [MS_NOEXEC, 'MS_NOEXEC'],
    [MS_SYNCHRONOUS, 'MS_SYNCHRONOUS'], [MS_REMOUNT, 'MS_REMOUNT'], [MS_MANDLOCK, 'MS_MANDLOCK'],
    [MS_DIRSYNC, 'MS_DIRSYNC'], [MS_NOSYMFOLLOW, 'MS_NOSYMFOLLOW'], [MS_NOATIME, 'MS_NOATIME'],
    [MS_NODIRATIME, 'MS_NODIRATIME'], [MS_BIND, 'MS_BIND'], [MS_MOVE, 'MS_MOVE'], [MS_REC, 'MS_REC'],
    [MS_SILENT, 'MS_SILENT'], [MS_POSIXACL, 'MS_POSIXACL'], [MS_UNBINDABLE, 'MS_UNBINDABLE'],
    [MS_PRIVATE, 'MS_PRIVATE'], [MS_SLAVE, 'MS_SLAVE'], [MS_SHARED, 'MS_SHARED'], [MS_RELATIME, 'MS_RELATIME'],
    [MS_I_VERSION, 'MS_I_VERSION'], [MS_STRICTATIME, 'MS_STRICTATIME'], [MS_LAZYTIME, 'MS_LAZYTIME'],
  ];
  return names.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
}
