// Loading the device eBPF program and attaching it to a cgroup v2 directory
// (BPF_PROG_LOAD, then BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI; programs this
// directory had before are detached afterwards, so there is no window without one).
import { SysError } from '../sys/errno';
import * as libc from '../sys/libc';
import { BpfInsn, encodeProgram } from './bpf-devices';
import { CgroupError, errText } from './errors';

const BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;
const O_RDONLY = 0, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;
const ATTR_SIZE = 128;

/** Loads the program; returns its fd. A verifier refusal is reported with the verifier's log. */
export function loadDeviceProgram(insns: readonly BpfInsn[]): number {
  const code = encodeProgram(insns);
  const license = Buffer.from('Apache\0');
  const load = (log?: Buffer): number => {
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
    attr.writeUInt32LE(insns.length, 4);
    attr.writeBigUInt64LE(libc.bufferAddress(code), 8);
    attr.writeBigUInt64LE(libc.bufferAddress(license), 16);
    if (log) {
      attr.writeUInt32LE(1, 24);
      attr.writeUInt32LE(log.length, 28);
      attr.writeBigUInt64LE(libc.bufferAddress(log), 32);
    }
    attr.write('ocits_devices', 48, 'latin1');
    return libc.bpf(BPF_PROG_LOAD, attr);
  };
  try {
    return load();
  } catch (e) {
    if (!(e instanceof SysError) || e.code !== 'EACCES' && e.code !== 'EINVAL') throw e;
    const log = Buffer.alloc(1 << 16);
    try {
      return load(log);
    } catch {
      const text = log.toString('latin1').replace(/\0[\s\S]*$/, '').trim();
      throw new CgroupError(`the kernel refused the device program (${e.code})${text ? ': ' + text : ''}`);
    }
  }
}

/** Ids of the device programs attached directly to the cgroup. */
function queryPrograms(cgFd: number, dir: string): number[] {
  const ids = new Uint32Array(64);
  const idsBuf = Buffer.from(ids.buffer);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(cgFd, 0);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 4);
  attr.writeBigUInt64LE(libc.bufferAddress(idsBuf), 16);
  attr.writeUInt32LE(ids.length, 24);
  libc.bpf(BPF_PROG_QUERY, attr, dir);
  const n = attr.readUInt32LE(24);
  return Array.from(ids.subarray(0, Math.min(n, ids.length)));
}

function attachOrDetach(cmd: number, cgFd: number, progFd: number, flags: number, dir: string): void {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(cgFd, 0);
  attr.writeUInt32LE(progFd, 4);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
  attr.writeUInt32LE(flags, 12);
  libc.bpf(cmd, attr, dir);
}

function progFdById(id: number): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0);
  return libc.bpf(BPF_PROG_GET_FD_BY_ID, attr);
}

/** Replaces the device program(s) of the cgroup directory `dir` with `insns`. */
export function setDeviceProgram(dir: string, insns: readonly BpfInsn[], field: string): void {
  let cgFd = -1;
  let progFd = -1;
  try {
    cgFd = libc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const old = queryPrograms(cgFd, dir);
    progFd = loadDeviceProgram(insns);
    attachOrDetach(BPF_PROG_ATTACH, cgFd, progFd, BPF_F_ALLOW_MULTI, dir);
    for (const id of old) {
      const fd = progFdById(id);
      try {
        attachOrDetach(BPF_PROG_DETACH, cgFd, fd, 0, dir);
      } finally {
        libc.close(fd);
      }
    }
  } catch (e) {
    if (e instanceof CgroupError) throw new CgroupError(e.message, field);
    throw new CgroupError(`cannot attach the device program to ${dir}: ${errText(e)}`, field, e instanceof SysError ? e.code : undefined);
  } finally {
    if (progFd >= 0) libc.close(progFd);
    if (cgFd >= 0) libc.close(cgFd);
  }
}

/** Ids of the device programs attached to `dir` (for tests and diagnostics). */
export function devicePrograms(dir: string): number[] {
  const fd = libc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    return queryPrograms(fd, dir);
  } finally {
    libc.close(fd);
  }
}
