// Resource usage in the shape of `runc events --stats`:
//   { type: "stats", id, data: { cpu, memory, pids, blkio, hugetlb } }
// Each part is read from the controller's v1 hierarchy when it has one, else from the
// unified directory. Values are JS numbers, or bigints above 2^53 (v1's unlimited
// 9223372036854771712, "max" as 2^64-1) so that they print exactly (stringifyJson64).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tryRead } from './fsio';

const MAX = 2n ** 64n - 1n;

type U64 = number | bigint;

function add(a: U64, b: U64): U64 {
  return typeof a === 'number' && typeof b === 'number' ? a + b : BigInt(a) + BigInt(b);
}
const USER_HZ = 100;

/** Directory of the container in the hierarchy holding a controller, and that hierarchy's version. */
export type DirOf = (controller: string) => { dir: string; version: 1 | 2 } | undefined;

function num(s: string | undefined): U64 | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === 'max') return MAX;
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) return undefined;
  return Number.isSafeInteger(n) || !/^\d+$/.test(t) ? n : BigInt(t);
}

function readNum(dir: string, file: string): U64 | undefined {
  return num(tryRead(path.join(dir, file)));
}

/** "key value" lines (memory.stat, cpu.stat, ...). */
function flat(dir: string, file: string): Record<string, U64> | undefined {
  const text = tryRead(path.join(dir, file));
  if (text === undefined) return undefined;
  const out: Record<string, U64> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    const n = num(v);
    if (k && n !== undefined) out[k] = n;
  }
  return out;
}

function prune<T extends object>(o: T): T | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? (out as T) : undefined;
}

function cpuStats(dirOf: DirOf): object | undefined {
  const acct = dirOf('cpuacct');
  const cpu = dirOf('cpu');
  if (acct?.version === 1 || cpu?.version === 1) {
    let usage: object | undefined;
    if (acct?.version === 1) {
      const list = (f: string) => tryRead(path.join(acct.dir, f))?.trim().split(/\s+/).filter(Boolean).map(Number);
      const st = flat(acct.dir, 'cpuacct.stat');
      usage = prune({
        total: readNum(acct.dir, 'cpuacct.usage'),
        percpu: list('cpuacct.usage_percpu'),
        percpu_kernel: list('cpuacct.usage_percpu_sys'),
        percpu_user: list('cpuacct.usage_percpu_user'),
        kernel: st?.system !== undefined ? (Number(st.system) * 1e9) / USER_HZ : undefined,
        user: st?.user !== undefined ? (Number(st.user) * 1e9) / USER_HZ : undefined,
      });
    }
    const t = cpu?.version === 1 ? flat(cpu.dir, 'cpu.stat') : undefined;
    const throttling = t && prune({ periods: t.nr_periods, throttled_periods: t.nr_throttled, throttled_time: t.throttled_time });
    return prune({ usage, throttling });
  }
  const d = dirOf('cpu') ?? dirOf('');
  const s = d && flat(d.dir, 'cpu.stat');
  if (!s) return undefined;
  const us = (k: string) => (s[k] === undefined ? undefined : Number(s[k]) * 1000);
  return prune({
    usage: prune({ total: us('usage_usec'), kernel: us('system_usec'), user: us('user_usec') }),
    throttling: prune({ periods: s.nr_periods, throttled_periods: s.nr_throttled, throttled_time: us('throttled_usec') }),
  });
}

function memoryStats(dirOf: DirOf): object | undefined {
  const m = dirOf('memory');
  if (!m) return undefined;
  const raw = flat(m.dir, 'memory.stat');
  if (m.version === 1) {
    const entry = (p: string) => prune({
      limit: readNum(m.dir, `${p}.limit_in_bytes`), usage: readNum(m.dir, `${p}.usage_in_bytes`),
      max: readNum(m.dir, `${p}.max_usage_in_bytes`), failcnt: readNum(m.dir, `${p}.failcnt`),
    });
    return prune({
      cache: raw?.cache, usage: entry('memory'), swap: entry('memory.memsw'),
      kernel: entry('memory.kmem'), kernelTCP: entry('memory.kmem.tcp'), raw,
    });
  }
  const usage = prune({ usage: readNum(m.dir, 'memory.current'), limit: readNum(m.dir, 'memory.max'), max: readNum(m.dir, 'memory.peak') });
  const swapCur = readNum(m.dir, 'memory.swap.current');
  const swapMax = readNum(m.dir, 'memory.swap.max');
  // v1 reported swap as memory+swap: keep that meaning.
  const swap = swapCur === undefined ? undefined : prune({
    usage: add(swapCur, usage?.usage ?? 0),
    limit: swapMax === undefined || swapMax === MAX || usage?.limit === MAX ? MAX : add(swapMax, usage?.limit ?? 0),
  });
  return prune({ cache: raw?.file, usage, swap, raw });
}

function pidsStats(dirOf: DirOf): object | undefined {
  const p = dirOf('pids');
  if (!p) return undefined;
  const limit = readNum(p.dir, 'pids.max');
  return prune({ current: readNum(p.dir, 'pids.current'), limit: limit === MAX ? 0 : limit });
}

interface BlkioEntry { major: number; minor: number; op: string; value: U64 }

function v1Blkio(dir: string, names: string[]): BlkioEntry[] | undefined {
  for (const n of names) {
    const text = tryRead(path.join(dir, n));
    if (text === undefined) continue;
    const out: BlkioEntry[] = [];
    for (const line of text.split('\n')) {
      const f = line.trim().split(/\s+/);
      const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
      if (!dev || f.length < 3) continue;
      out.push({ major: Number(dev[1]), minor: Number(dev[2]), op: f[1], value: num(f[2]) ?? 0 });
    }
    if (out.length > 0) return out;
  }
  return undefined;
}

function blkioStats(dirOf: DirOf): object | undefined {
  const b = dirOf('blkio');
  if (b?.version === 1) {
    const pick = (s: string) => [`blkio.${s}`, `blkio.bfq.${s}`, `blkio.throttle.${s}`];
    return prune({
      ioServiceBytesRecursive: v1Blkio(b.dir, pick('io_service_bytes_recursive')),
      ioServicedRecursive: v1Blkio(b.dir, pick('io_serviced_recursive')),
    });
  }
  const d = dirOf('io');
  const text = d && tryRead(path.join(d.dir, 'io.stat'));
  if (!text) return undefined;
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!dev) continue;
    const kv = Object.fromEntries(f.slice(1).map((x) => x.split('=')));
    const [major, minor] = [Number(dev[1]), Number(dev[2])];
    const add = (to: BlkioEntry[], op: string, v?: string) => { if (v !== undefined) to.push({ major, minor, op, value: num(v) ?? 0 }); };
    add(bytes, 'Read', kv.rbytes); add(bytes, 'Write', kv.wbytes);
    add(ios, 'Read', kv.rios); add(ios, 'Write', kv.wios);
  }
  return prune({ ioServiceBytesRecursive: bytes.length ? bytes : undefined, ioServicedRecursive: ios.length ? ios : undefined });
}

function hugetlbStats(dirOf: DirOf): object | undefined {
  const h = dirOf('hugetlb');
  if (!h) return undefined;
  let files: string[] = [];
  try { files = fs.readdirSync(h.dir); } catch { return undefined; }
  const out: Record<string, object> = {};
  const re = h.version === 1 ? /^hugetlb\.([^.]+)\.limit_in_bytes$/ : /^hugetlb\.([^.]+)\.max$/;
  for (const f of files) {
    const size = re.exec(f)?.[1];
    if (!size) continue;
    const s = h.version === 1
      ? prune({
        usage: readNum(h.dir, `hugetlb.${size}.usage_in_bytes`), max: readNum(h.dir, `hugetlb.${size}.max_usage_in_bytes`),
        failcnt: readNum(h.dir, `hugetlb.${size}.failcnt`),
      })
      : prune({ usage: readNum(h.dir, `hugetlb.${size}.current`), failcnt: flat(h.dir, `hugetlb.${size}.events`)?.max });
    if (s) out[size] = s;
  }
  return Object.keys(out).length ? out : undefined;
}

export function collectStats(id: string, dirOf: DirOf): { type: 'stats'; id: string; data: Record<string, unknown> } {
  const data = prune({
    cpu: cpuStats(dirOf), memory: memoryStats(dirOf), pids: pidsStats(dirOf),
    blkio: blkioStats(dirOf), hugetlb: hugetlbStats(dirOf),
  }) ?? {};
  return { type: 'stats', id, data };
}
