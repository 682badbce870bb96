// The pure plan: linux.resources → the ordered list of cgroup file writes (and, on
// cgroup v2, the device eBPF program) for a layout. No file-system access: whether
// optional files exist is asked through ctx.exists.
import type { Resources } from '../spec/types';
import { deviceProgram } from './bpf-devices';
import { CgroupError } from './errors';
import { normalizeDeviceRules, v1RuleText } from './device-rules';
import { planBlockIO } from './plan-blkio';
import { planCpu } from './plan-cpu';
import { planMemory } from './plan-memory';
import { planHugetlb, planNetwork, planPids, planRdma, planUnified } from './plan-misc';
import { Emitter, Plan, PlanContext } from './plan-types';

export * from './plan-types';

function planDevices(res: Resources, e: Emitter, plan: Plan): void {
  if (!res.devices || res.devices.length === 0) return;
  const field = 'linux.resources.devices';
  const rules = normalizeDeviceRules(res.devices);
  if (e.ctx.v1.has('devices')) {
    rules.forEach((r, i) => {
      e.write('devices', r.allow ? 'devices.allow' : 'devices.deny', v1RuleText(r), `${field}[${i}]`);
    });
    return;
  }
  if (e.ctx.layout === 'v1') {
    throw new CgroupError('the devices controller is not mounted (no v1 hierarchy has it)', field);
  }
  plan.devicesProgram = { field, insns: deviceProgram(rules) };
}

/**
 * The writes for `resources` in the order they are made: pids, memory, blockIO, cpu,
 * cpuset, devices, hugepages, network, rdma, then unified (last, so it can override).
 * Throws CgroupError naming the field for invalid values or resources this layout cannot apply.
 */
export function planResources(resources: Resources | undefined, ctx: PlanContext): Plan {
  const plan: Plan = { writes: [] };
  if (!resources) return plan;
  const e = new Emitter(ctx, plan.writes);
  planPids(resources, e);
  planMemory(resources, e);
  planBlockIO(resources, e);
  planCpu(resources, e);
  planDevices(resources, e, plan);
  planHugetlb(resources, e);
  planNetwork(resources, e);
  planRdma(resources, e);
  planUnified(resources, e);
  return plan;
}
