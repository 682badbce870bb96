// Resource control: cgroup v1, v2 and hybrid hosts. See docs/cgroups.md.
export { CgroupError } from './errors';
export { cgroupManager, cgroupManagerFromPaths } from './manager';
export { rootlessCgroupManager, askedLimits, usableCgroupDir } from './rootless';
export type { CgroupManager, CgroupOptions, CgroupPath } from './manager';
export { detectLayout, parseMountinfo, DEFAULT_CGROUP_ROOT } from './mountinfo';
export type { Layout, Hierarchy } from './mountinfo';
export { parseCgroupsPath, resolveIn, expandSlice, cleanCgroupPath } from './cgpath';
export { parseProcCgroup } from './proc-cgroup';
export { planResources, UNIFIED } from './plan';
export type { Plan, PlanContext, PlanWrite } from './plan';
export { deviceProgram, encodeProgram, BPF, DEV_BLOCK, DEV_CHAR, ACC_MKNOD, ACC_READ, ACC_WRITE } from './bpf-devices';
export type { BpfInsn } from './bpf-devices';
export { normalizeDeviceRules, v1RuleText } from './device-rules';
export type { DeviceRule } from './device-rules';
export { sharesToWeight, blkioToIoWeight, swapToV2 } from './convert';
export { devicePrograms } from './bpf-attach';
export { parseSubCgroupFlag, subCgroupTargets } from './sub-cgroup';
export type { SubCgroupRequest } from './sub-cgroup';
