// Linux signal names and numbers (x86_64 / asm-generic numbering), and parsing of
// the signal argument of `kill` / `runc kill` style commands. Pure data + functions.

/** Standard signals, name without the SIG prefix → number. */
export const SIGNALS: Readonly<Record<string, number>> = Object.freeze({
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  IOT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  POLL: 29,
  PWR: 30,
  SYS: 31,
});

/** Aliases that signalName() must not prefer over the canonical name. */
const ALIASES = new Set(['IOT', 'CLD', 'POLL']);

/** First and last real-time signal as seen by user space (glibc reserves 32 and 33). */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;
/** Highest valid signal number. */
export const NSIG_MAX = 64;

const CANONICAL: ReadonlyMap<number, string> = new Map(
  Object.entries(SIGNALS)
    .filter(([name]) => !ALIASES.has(name))
    .map(([name, num]) => [num, name] as [number, string]),
);

/** Canonical name (with SIG prefix) of a signal number, e.g. 9 → "SIGKILL", 35 → "SIGRTMIN+1". */
export function signalName(n: number): string {
  const std = CANONICAL.get(n);
  if (std !== undefined) return `SIG${std}`;
  if (!Number.isInteger(n) || n < SIGRTMIN || n > SIGRTMAX) throw new Error(`unknown signal ${n}`);
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n === SIGRTMAX) return 'SIGRTMAX';
  // Same split as kill -l: the lower half counts up from RTMIN, the upper half down from RTMAX.
  const mid = SIGRTMIN + Math.floor((SIGRTMAX - SIGRTMIN) / 2);
  return n <= mid ? `SIGRTMIN+${n - SIGRTMIN}` : `SIGRTMAX-${SIGRTMAX - n}`;
}

function lookupName(upper: string): number | undefined {
  const name = upper.startsWith('SIG') ? upper.slice(3) : upper;
  if (Object.prototype.hasOwnProperty.call(SIGNALS, name)) return SIGNALS[name];
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (!rt) return undefined;
  const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
  if (rt[2] === undefined) return base;
  // RTMIN only counts up, RTMAX only counts down.
  if ((rt[1] === 'MIN' && rt[2] !== '+') || (rt[1] === 'MAX' && rt[2] !== '-')) return undefined;
  const off = Number(rt[3]);
  const num = rt[2] === '+' ? base + off : base - off;
  return num >= SIGRTMIN && num <= SIGRTMAX ? num : undefined;
}

/**
 * Parse a signal given as a name ("KILL", "SIGKILL", "kill", "SIGRTMIN+3", "RTMAX-1")
 * or a decimal number ("9", accepted in 0..64; 0 asks only whether the process
 * exists, as kill(2) and runc allow). Throws `unknown signal "X"` otherwise.
 */
export function parseSignal(s: string): number {
  const raw = String(s).trim();
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 0 && n <= NSIG_MAX) return n;
    throw new Error(`unknown signal "${s}"`);
  }
  const n = lookupName(raw.toUpperCase());
  if (n === undefined) throw new Error(`unknown signal "${s}"`);
  return n;
}

/** All signal names accepted by parseSignal, canonical spellings only (for listing). */
export function allSignalNames(): string[] {
  const out: string[] = [];
  for (let n = 1; n <= NSIG_MAX; n++) {
    if (n === 32 || n === 33) continue;
    out.push(signalName(n));
  }
  return out;
}
