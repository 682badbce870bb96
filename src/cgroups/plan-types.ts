// Types shared by the resource planners, and the rule that picks, per controller,
// the hierarchy (a v1 one or the unified one) a resource is written to.
import { CgroupError } from './errors';
import type { BpfInsn } from './bpf-devices';

export type LayoutKind = 'v1' | 'v2' | 'hybrid';

/** The hierarchy name used in plans for the cgroup2 hierarchy (v1 hierarchies use a controller name). */
export const UNIFIED = 'unified';

export interface PlanContext {
  layout: LayoutKind;
  /** Controllers mounted as v1 hierarchies. */
  v1: ReadonlySet<string>;
  /** Controllers available in the unified hierarchy (its cgroup.controllers). */
  v2: ReadonlySet<string>;
  /** Whether a control file exists in the container's directory of a hierarchy (default: yes). */
  exists?(hierarchy: string, file: string): boolean;
}

export interface PlanWrite {
  /** A v1 controller name ("memory", "cpu", ...) or "unified". */
  hierarchy: string;
  file: string;
  value: string;
  /** The config field the value comes from, for error messages. */
  field: string;
  /** The kernel may refuse this write (EINVAL) until a later one is made: retry it once at the end. */
  retryOnEinval?: boolean;
  /** A file holding current usage; the write is refused when usage exceeds the value (checkBeforeUpdate). */
  usageFile?: string;
}

export interface DevicesProgramPlan {
  field: string;
  /** The eBPF cgroup-device program, attached to the unified directory. */
  insns: BpfInsn[];
}

export interface Plan {
  writes: PlanWrite[];
  devicesProgram?: DevicesProgramPlan;
}

export type Version = 1 | 2;

/**
 * Where a controller's resources go: its v1 hierarchy when mounted, else the unified
 * hierarchy when the controller (named v2Name there, e.g. blkio → io) is available.
 */
export function versionFor(ctx: PlanContext, controller: string, field: string, opts: { v2Name?: string; v1Only?: boolean } = {}): Version {
  if (ctx.v1.has(controller)) return 1;
  const v2Name = opts.v2Name ?? controller;
  if (!opts.v1Only && ctx.v2.has(v2Name)) return 2;
  if (opts.v1Only && ctx.layout === 'v2') {
    throw new CgroupError(`the ${controller} controller does not exist on cgroup v2`, field);
  }
  const where = ctx.layout === 'v1' ? 'no v1 hierarchy has it'
    : ctx.layout === 'v2' ? `"${v2Name}" is not in the unified hierarchy's cgroup.controllers`
      : opts.v1Only ? 'no v1 hierarchy has it, and it does not exist on cgroup v2'
        : `no v1 hierarchy has it and "${v2Name}" is not in the unified hierarchy's cgroup.controllers`;
  throw new CgroupError(`the ${controller} controller is not mounted (${where})`, field);
}

/** Builds writes for one controller's hierarchy. */
export class Emitter {
  constructor(readonly ctx: PlanContext, readonly out: PlanWrite[]) {}
  hierarchy(controller: string, v: Version): string { return v === 1 ? controller : UNIFIED; }
  exists(hierarchy: string, file: string): boolean { return this.ctx.exists ? this.ctx.exists(hierarchy, file) : true; }
  write(hierarchy: string, file: string, value: string, field: string, extra?: Partial<PlanWrite>): void {
    this.out.push({ hierarchy, file, value, field, ...extra });
  }
}

export function isSet(v: unknown): boolean { return v !== undefined && v !== null; }
