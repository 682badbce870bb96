// The cgroup v2 device controller: linux.resources.devices compiled into an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE, as data (instructions). Pure.
//
// Semantics (those of an ordered v1 allow/deny list): for each access bit asked for
// (m, r, w), the LAST rule that matches the device and includes that bit decides;
// with no such rule the default is "allow" (a fresh v1 cgroup inherits its parent's
// allow-all; on v2 the parent's own programs still apply). A request is allowed
// only when every bit it asks for is. A rule for any type/major/minor ("a *:*")
// shadows every earlier rule for its bits, so those are not emitted.
import type { DeviceRule } from './device-rules';

export interface BpfInsn { code: number; dst: number; src: number; off: number; imm: number }

// Opcodes (linux/bpf_common.h, linux/bpf.h).
export const BPF = Object.freeze({
  LDXW: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  AND32K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  RSH32K: 0x74, // BPF_ALU | BPF_RSH | BPF_K
  MOV32X: 0xbc, // BPF_ALU | BPF_MOV | BPF_X
  MOV32K: 0xb4, // BPF_ALU | BPF_MOV | BPF_K
  JA: 0x05, // BPF_JMP | BPF_JA
  JEQK: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JNEK: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  EXIT: 0x95, // BPF_JMP | BPF_EXIT
});

/** bpf_cgroup_dev_ctx: access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*. */
export const DEV_BLOCK = 1, DEV_CHAR = 2;
export const ACC_MKNOD = 1, ACC_READ = 2, ACC_WRITE = 4;

const ACCESS_BITS: [string, number][] = [['m', ACC_MKNOD], ['r', ACC_READ], ['w', ACC_WRITE]];

// Registers after the prelude: R2 device type, R3 access bits, R4 major, R5 minor.
const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

type Label = { pos?: number };
interface Pending { insn: BpfInsn; target?: Label }

class Asm {
  readonly items: Pending[] = [];
  emit(code: number, dst = 0, src = 0, off = 0, imm = 0, target?: Label): void {
    this.items.push({ insn: { code, dst, src, off, imm }, target });
  }
  label(): Label { return {}; }
  bind(l: Label): void { l.pos = this.items.length; }
  finish(): BpfInsn[] {
    return this.items.map((p, i) => {
      if (!p.target) return p.insn;
      if (p.target.pos === undefined) throw new Error('bpf: unbound label');
      const off = p.target.pos - (i + 1);
      if (off < 0 || off > 0x7fff) throw new Error('bpf: device program too large (jump out of range)');
      return { ...p.insn, off };
    });
  }
}

function isWildcard(r: DeviceRule): boolean {
  return r.type === 'a' && r.major === null && r.minor === null;
}

/** The program for an ordered rule list (see the semantics above). */
export function deviceProgram(rules: readonly DeviceRule[]): BpfInsn[] {
  const a = new Asm();
  // Prelude: unpack struct bpf_cgroup_dev_ctx {u32 access_type; u32 major; u32 minor} at R1.
  a.emit(BPF.LDXW, R2, R1, 0);
  a.emit(BPF.AND32K, R2, 0, 0, 0xffff);
  a.emit(BPF.LDXW, R3, R1, 0);
  a.emit(BPF.RSH32K, R3, 0, 0, 16);
  a.emit(BPF.LDXW, R4, R1, 4);
  a.emit(BPF.LDXW, R5, R1, 8);
  for (const [ch, bit] of ACCESS_BITS) {
    const next = a.label();
    // Skip this section unless the bit is asked for.
    a.emit(BPF.MOV32X, R1, R3);
    a.emit(BPF.AND32K, R1, 0, 0, bit);
    a.emit(BPF.JEQK, R1, 0, 0, 0, next);
    let decided = false;
    for (let i = rules.length - 1; i >= 0 && !decided; i--) {
      const r = rules[i];
      if (!r.access.includes(ch)) continue;
      const skip = a.label();
      if (r.type !== 'a') a.emit(BPF.JNEK, R2, 0, 0, r.type === 'c' ? DEV_CHAR : DEV_BLOCK, skip);
      if (r.major !== null) a.emit(BPF.JNEK, R4, 0, 0, r.major, skip);
      if (r.minor !== null) a.emit(BPF.JNEK, R5, 0, 0, r.minor, skip);
      if (r.allow) a.emit(BPF.JA, 0, 0, 0, 0, next);
      else { a.emit(BPF.MOV32K, R0, 0, 0, 0); a.emit(BPF.EXIT); }
      a.bind(skip);
      decided = isWildcard(r);
    }
    // No rule decided: the default is allow, i.e. fall through to the next section.
    a.bind(next);
  }
  a.emit(BPF.MOV32K, R0, 0, 0, 1);
  a.emit(BPF.EXIT);
  return a.finish();
}

/** struct bpf_insn[] bytes: u8 code; u8 dst:4, src:4; s16 off; s32 imm (little endian). */
export function encodeProgram(insns: readonly BpfInsn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    buf.writeUInt8(x.code, i * 8);
    buf.writeUInt8((x.dst & 0xf) | ((x.src & 0xf) << 4), i * 8 + 1);
    buf.writeInt16LE(x.off, i * 8 + 2);
    buf.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return buf;
}
