// Plan step for seccomp: the OCI linux.seccomp object → the numbers libseccomp
// needs (default action, architecture tokens, filter attributes, one rule per
// syscall name and argument group), or a list of problems, each naming its
// JSON path. Pure: syscall names are resolved only when the filter is built.
import type { Int64, Seccomp } from '../spec/types';
import {
  DEFAULT_ERRNO_RET, MAX_ARG_INDEX, MAX_ERRNO_RET,
  actionInfo, actionValue, archToken, flagInfo, operatorValue,
} from './seccomp-data';

export interface SeccompArgPlan {
  /** Argument number, 0..5. */
  index: number;
  /** enum scmp_compare value. */
  op: number;
  opName: string;
  /** datum_a: the value, or the mask for SCMP_CMP_MASKED_EQ. */
  value: bigint;
  /** datum_b: the masked value for SCMP_CMP_MASKED_EQ (0 when absent). */
  valueTwo: bigint;
}

export interface SeccompRulePlan {
  /** Syscall name; names libseccomp cannot resolve are skipped when loading. */
  name: string;
  /** libseccomp action value, errno/trace data included. */
  action: number;
  actionName: string;
  /** Conditions, AND-ed; at most one per argument index. */
  args: SeccompArgPlan[];
  /** Where the rule comes from, e.g. "linux.seccomp.syscalls[3]". */
  source: string;
}

export interface SeccompArchPlan { name: string; token: number }

export interface SeccompAttrPlan { attr: number; value: number; flag: string }

export interface SeccompPlan {
  defaultAction: number;
  defaultActionName: string;
  /** Extra architectures (deduplicated); the native one is skipped when loading. */
  architectures: SeccompArchPlan[];
  /** The flags as given (deduplicated). */
  flags: string[];
  /** libseccomp attributes the flags turn on. */
  attrs: SeccompAttrPlan[];
  /** Rules in config order; those whose action equals the default action are dropped. */
  rules: SeccompRulePlan[];
  /** Some rule uses SCMP_ACT_NOTIFY: loading yields a listener fd. */
  notify: boolean;
  listenerPath?: string;
  listenerMetadata?: string;
}

/** linux.seccomp is invalid; `issues` lists every problem ("<path>: <what>"). */
export class SeccompConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(issues.join('; '));
    this.name = 'SeccompConfigError';
  }
}

const q = (v: unknown): string => (typeof v === 'bigint' ? `${v}` : JSON.stringify(v));
const U64_MAX = 0xffffffffffffffffn;
const NOTIFY = 'SCMP_ACT_NOTIFY';

/** A uint64 argument datum from an OCI Int64, or an error text. */
function datum(v: Int64 | unknown): bigint | string {
  if (typeof v === 'bigint') return v >= 0n && v <= U64_MAX ? v : `must be a uint64 (got ${v})`;
  if (typeof v !== 'number' || !Number.isInteger(v)) return `must be a uint64 (got ${q(v)})`;
  if (v < 0 || v >= 2 ** 64) return `must be a uint64 (got ${q(v)})`;
  return BigInt(v);
}

function isErrnoRet(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_ERRNO_RET;
}

/** Rules for one syscall entry's conditions: one group, or one rule per condition when an index repeats. */
export function argGroups(args: SeccompArgPlan[]): SeccompArgPlan[][] {
  if (args.length === 0) return [[]];
  const indexes = new Set(args.map((a) => a.index));
  return indexes.size < args.length ? args.map((a) => [a]) : [args];
}

interface Resolved { value: number; name: string }

/** An action (with its errnoRet) → value, or issues pushed to `out`. */
function resolveAction(name: unknown, errnoRet: unknown, path: string, retPath: string, out: string[]): Resolved | undefined {
  const info = typeof name === 'string' ? actionInfo(name) : undefined;
  if (!info) {
    out.push(`${path}: unknown action ${q(name)}`);
    return undefined;
  }
  if (errnoRet !== undefined && errnoRet !== null) {
    if (info.data === 'none') {
      out.push(`${retPath}: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is ${name})`);
      return undefined;
    }
    if (!isErrnoRet(errnoRet)) {
      out.push(`${retPath}: must be an integer from 0 to ${MAX_ERRNO_RET} (got ${q(errnoRet)})`);
      return undefined;
    }
  }
  const ret = errnoRet === undefined || errnoRet === null ? DEFAULT_ERRNO_RET : (errnoRet as number);
  return { value: actionValue(info, ret), name: name as string };
}

function planArgs(args: unknown, path: string, out: string[]): SeccompArgPlan[] {
  if (args === undefined || args === null) return [];
  if (!Array.isArray(args)) {
    out.push(`${path}: must be an array`);
    return [];
  }
  const plans: SeccompArgPlan[] = [];
  args.forEach((a: Record<string, unknown>, j: number) => {
    const at = `${path}[${j}]`;
    if (!a || typeof a !== 'object') {
      out.push(`${at}: must be an object`);
      return;
    }
    const before = out.length;
    const index = a.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_ARG_INDEX) {
      out.push(`${at}.index: must be an argument number from 0 to ${MAX_ARG_INDEX} (got ${q(index)})`);
    }
    const op = typeof a.op === 'string' ? operatorValue(a.op) : undefined;
    if (op === undefined) out.push(`${at}.op: unknown operator ${q(a.op)}`);
    const value = datum(a.value);
    if (typeof value === 'string') out.push(`${at}.value: ${value}`);
    const valueTwo = a.valueTwo === undefined || a.valueTwo === null ? 0n : datum(a.valueTwo);
    if (typeof valueTwo === 'string') out.push(`${at}.valueTwo: ${valueTwo}`);
    if (out.length > before) return;
    plans.push({ index: index as number, op: op as number, opName: a.op as string, value: value as bigint, valueTwo: valueTwo as bigint });
  });
  return plans;
}

/** Builds the plan and collects every problem. */
function build(s: Seccomp, where: string): { plan: SeccompPlan; issues: string[] } {
  const out: string[] = [];
  const def = resolveAction(s.defaultAction, s.defaultErrnoRet, `${where}.defaultAction`, `${where}.defaultErrnoRet`, out);
  if (def && def.name === NOTIFY) out.push(`${where}.defaultAction: SCMP_ACT_NOTIFY cannot be the default action`);

  const architectures: SeccompArchPlan[] = [];
  (Array.isArray(s.architectures) ? s.architectures : []).forEach((name, i) => {
    const token = typeof name === 'string' ? archToken(name) : undefined;
    if (token === undefined) out.push(`${where}.architectures[${i}]: unknown architecture ${q(name)}`);
    else if (!architectures.some((a) => a.token === token)) architectures.push({ name, token });
  });

  const flags: string[] = [];
  const attrs: SeccompAttrPlan[] = [];
  (Array.isArray(s.flags) ? s.flags : []).forEach((flag, i) => {
    const info = typeof flag === 'string' ? flagInfo(flag) : undefined;
    if (!info) out.push(`${where}.flags[${i}]: unknown flag ${q(flag)}`);
    else if (!flags.includes(flag)) {
      flags.push(flag);
      attrs.push({ attr: info.attr, value: 1, flag });
    }
  });

  const rules: SeccompRulePlan[] = [];
  let notify = false;
  (Array.isArray(s.syscalls) ? s.syscalls : []).forEach((call, i) => {
    const at = `${where}.syscalls[${i}]`;
    if (!call || typeof call !== 'object') {
      out.push(`${at}: must be an object`);
      return;
    }
    const before = out.length;
    const names = call.names;
    if (!Array.isArray(names) || names.length === 0) out.push(`${at}.names: must list at least one syscall`);
    else names.forEach((n, k) => { if (typeof n !== 'string' || n === '') out.push(`${at}.names[${k}]: must be a syscall name (got ${q(n)})`); });
    const act = resolveAction(call.action, call.errnoRet, `${at}.action`, `${at}.errnoRet`, out);
    const args = planArgs(call.args, `${at}.args`, out);
    if (act?.name === NOTIFY && Array.isArray(names)) {
      names.forEach((n, k) => { if (n === 'write') out.push(`${at}.names[${k}]: SCMP_ACT_NOTIFY cannot be used for the write syscall`); });
    }
    if (out.length > before || !act || !def) return;
    if (act.value === def.value) return; // redundant: libseccomp refuses rules with the default action
    if (act.name === NOTIFY) notify = true;
    const groups = argGroups(args);
    for (const name of names as string[]) {
      for (const g of groups) rules.push({ name, action: act.value, actionName: act.name, args: g, source: at });
    }
  });

  const listenerPath = typeof s.listenerPath === 'string' && s.listenerPath !== '' ? s.listenerPath : undefined;
  if (notify && listenerPath === undefined) out.push(`${where}.listenerPath: required when a rule uses SCMP_ACT_NOTIFY`);

  const plan: SeccompPlan = {
    defaultAction: def?.value ?? 0,
    defaultActionName: def?.name ?? String(s.defaultAction),
    architectures,
    flags,
    attrs,
    rules,
    notify,
  };
  if (listenerPath !== undefined) plan.listenerPath = listenerPath;
  if (typeof s.listenerMetadata === 'string' && s.listenerMetadata !== '') plan.listenerMetadata = s.listenerMetadata;
  return { plan, issues: out };
}

/** Every problem in linux.seccomp, in document order (empty when fine). */
export function seccompIssues(s: Seccomp, where = 'linux.seccomp'): string[] {
  if (!s || typeof s !== 'object') return [`${where}: must be an object`];
  return build(s, where).issues;
}

/**
 * The filter to load for linux.seccomp, or null when there is none.
 * Throws SeccompConfigError listing every problem.
 */
export function planSeccomp(s: Seccomp | undefined | null, where = 'linux.seccomp'): SeccompPlan | null {
  if (s === undefined || s === null) return null;
  if (typeof s !== 'object') throw new SeccompConfigError([`${where}: must be an object`]);
  const { plan, issues } = build(s, where);
  if (issues.length) throw new SeccompConfigError(issues);
  return plan;
}

/** Whether the filter binary-tree optimisation is worth it (as runc: more than 32 rules). */
export function wantsOptimize(plan: SeccompPlan): boolean {
  return plan.rules.length > 32;
}
