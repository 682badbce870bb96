import t from 'tap';
import cg from '../../dist/lib/cgroups/index.js';

const { deviceProgram, encodeProgram, normalizeDeviceRules, BPF, DEV_CHAR, DEV_BLOCK, ACC_MKNOD, ACC_READ, ACC_WRITE } = cg;

/** A tiny interpreter for the instructions the generator uses (64-bit regs, 32-bit ALU ops). */
function run(insns, { type, access, major, minor }) {
  const ctx = [(access << 16) | type, major, minor];
  const r = new Array(11).fill(0);
  r[1] = 'ctx';
  const u32 = (x) => x >>> 0;
  for (let pc = 0, steps = 0; steps < 100000; steps++) {
    const i = insns[pc];
    if (!i) throw new Error(`fell off the program at ${pc}`);
    pc++;
    switch (i.code) {
      case BPF.LDXW: if (r[i.src] !== 'ctx') throw new Error('load from non-ctx'); r[i.dst] = ctx[i.off / 4]; break;
      case BPF.AND32K: r[i.dst] = u32(r[i.dst] & i.imm); break;
      case BPF.RSH32K: r[i.dst] = u32(r[i.dst]) >>> i.imm; break;
      case BPF.MOV32X: r[i.dst] = u32(r[i.src]); break;
      case BPF.MOV32K: r[i.dst] = u32(i.imm); break;
      case BPF.JA: pc += i.off; break;
      case BPF.JEQK: if (r[i.dst] === i.imm) pc += i.off; break;
      case BPF.JNEK: if (r[i.dst] !== i.imm) pc += i.off; break;
      case BPF.EXIT: return r[0];
      default: throw new Error(`unknown opcode ${i.code.toString(16)}`);
    }
  }
  throw new Error('loop');
}

/** Reference semantics: per access bit, the last matching rule including that bit decides; default allow. */
function model(rules, req) {
  for (const [ch, bit] of [['m', ACC_MKNOD], ['r', ACC_READ], ['w', ACC_WRITE]]) {
    if (!(req.access & bit)) continue;
    let allow = true;
    for (const r of rules) {
      if (!r.access.includes(ch)) continue;
      if (r.type !== 'a' && (r.type === 'c' ? DEV_CHAR : DEV_BLOCK) !== req.type) continue;
      if (r.major !== null && r.major !== req.major) continue;
      if (r.minor !== null && r.minor !== req.minor) continue;
      allow = r.allow;
    }
    if (!allow) return 0;
  }
  return 1;
}

const prog = (devices) => deviceProgram(normalizeDeviceRules(devices));
const req = (type, major, minor, access) => ({ type: type === 'c' ? DEV_CHAR : DEV_BLOCK, major, minor, access });
const R = ACC_READ, W = ACC_WRITE, M = ACC_MKNOD;

t.test('exact instructions for a deny-all list', async (t) => {
  const x = prog([{ allow: false, access: 'rwm' }]).map((i) => [i.code, i.dst, i.src, i.off, i.imm]);
  const section = (bit) => [[0xbc, 1, 3, 0, 0], [0x54, 1, 0, 0, bit], [0x15, 1, 0, 2, 0], [0xb4, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]];
  t.same(x, [
    [0x61, 2, 1, 0, 0], [0x54, 2, 0, 0, 0xffff], [0x61, 3, 1, 0, 0], [0x74, 3, 0, 0, 16], [0x61, 4, 1, 4, 0], [0x61, 5, 1, 8, 0],
    ...section(M), ...section(R), ...section(W),
    [0xb4, 0, 0, 0, 1], [0x95, 0, 0, 0, 0],
  ]);
});

t.test('exact instructions for deny-all then allow c 1:3 rw', async (t) => {
  const x = prog([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }])
    .slice(6).map((i) => [i.code, i.dst, i.src, i.off, i.imm]);
  t.same(x, [
    // m: only the deny-all rule carries m.
    [0xbc, 1, 3, 0, 0], [0x54, 1, 0, 0, M], [0x15, 1, 0, 2, 0], [0xb4, 0, 0, 0, 0], [0x95, 0, 0, 0, 0],
    // r: the allow rule (type, major, minor checks, then jump to the next section), then deny-all.
    [0xbc, 1, 3, 0, 0], [0x54, 1, 0, 0, R], [0x15, 1, 0, 6, 0],
    [0x55, 2, 0, 3, DEV_CHAR], [0x55, 4, 0, 2, 1], [0x55, 5, 0, 1, 3], [0x05, 0, 0, 2, 0],
    [0xb4, 0, 0, 0, 0], [0x95, 0, 0, 0, 0],
    // w: the same.
    [0xbc, 1, 3, 0, 0], [0x54, 1, 0, 0, W], [0x15, 1, 0, 6, 0],
    [0x55, 2, 0, 3, DEV_CHAR], [0x55, 4, 0, 2, 1], [0x55, 5, 0, 1, 3], [0x05, 0, 0, 2, 0],
    [0xb4, 0, 0, 0, 0], [0x95, 0, 0, 0, 0],
    [0xb4, 0, 0, 0, 1], [0x95, 0, 0, 0, 0],
  ]);
});

t.test('encoding: 8 bytes per instruction, regs packed dst | src << 4, little endian', async (t) => {
  const b = encodeProgram([{ code: 0x61, dst: 2, src: 1, off: 4, imm: 0 }, { code: 0x55, dst: 4, src: 0, off: -1, imm: 0x12345678 }]);
  t.equal(b.toString('hex'), '6112040000000000' + '5504ffff78563412');
});

t.test('rules that an earlier wildcard shadows are not emitted', async (t) => {
  const a = prog([{ allow: true, type: 'c', major: 1, minor: 3 }, { allow: false }]);
  const b = prog([{ allow: false }]);
  t.same(a, b);
  t.equal(prog([]).length, 6 + 3 * 3 + 2, 'no rules: allow everything');
});

const ruleSets = {
  'docker-like default': [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
  ],
  'allow-list with partial access': [
    { allow: false },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'w' },
    { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
    { allow: true, type: 'b', major: 8, minor: -1, access: 'rw' },
  ],
  'deny-list on default allow': [
    { allow: false, type: 'b', major: 8, minor: 0, access: 'w' },
    { allow: false, type: 'c', major: 10, access: 'rwm' },
  ],
  'allow-all after deny-all': [
    { allow: false },
    { allow: true, type: 'c', major: 1, minor: 3 },
    { allow: true, type: 'a' },
  ],
};

t.test('programs agree with the rule semantics on every request', async (t) => {
  const requests = [];
  for (const type of ['c', 'b']) {
    for (const [major, minor] of [[1, 3], [1, 5], [1, 9], [5, 0], [136, 4], [10, 200], [10, 229], [8, 0], [8, 16], [254, 0]]) {
      for (let access = 1; access <= 7; access++) requests.push(req(type, major, minor, access));
    }
  }
  for (const [name, devices] of Object.entries(ruleSets)) {
    const rules = normalizeDeviceRules(devices);
    const insns = deviceProgram(rules);
    let bad = 0;
    for (const q of requests) if (run(insns, q) !== model(rules, q)) bad++;
    t.equal(bad, 0, `${name}: ${requests.length} requests`);
  }
  const dock = deviceProgram(normalizeDeviceRules(ruleSets['docker-like default']));
  t.equal(run(dock, req('c', 1, 3, R | W)), 1, '/dev/null rw allowed');
  t.equal(run(dock, req('c', 10, 229, R)), 0, '/dev/fuse denied');
  t.equal(run(dock, req('b', 8, 0, R)), 0, 'disk read denied');
  t.equal(run(dock, req('b', 8, 0, M)), 1, 'mknod of any block device allowed');
  t.equal(run(dock, req('c', 136, 7, W)), 1, 'pts allowed');
  const part = deviceProgram(normalizeDeviceRules(ruleSets['allow-list with partial access']));
  t.equal(run(part, req('c', 1, 3, R)), 1);
  t.equal(run(part, req('c', 1, 3, W)), 0, 'the later deny of w wins');
  t.equal(run(part, req('c', 1, 3, R | W)), 0);
  const dl = deviceProgram(normalizeDeviceRules(ruleSets['deny-list on default allow']));
  t.equal(run(dl, req('b', 8, 0, R)), 1);
  t.equal(run(dl, req('b', 8, 0, R | W)), 0);
  t.equal(run(dl, req('c', 4, 1, R | W | M)), 1);
});
