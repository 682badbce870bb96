// TypeScript view of the OCI runtime-spec (v1.2) config.json, Linux parts.
// 64-bit fields that may exceed 2^53 are `Int64` (number, or bigint when large).

export type Int64 = number | bigint;

export interface Spec {
  ociVersion: string;
  root?: Root;
  process?: Process;
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
  [extension: string]: unknown;
}

export interface Root { path: string; readonly?: boolean }

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: User;
  args?: string[];
  commandLine?: string;
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  ioPriority?: { class: string; priority: number };
  scheduler?: Record<string, unknown>;
  execCPUAffinity?: { initial?: string; final?: string };
}

export interface User { uid: number; gid: number; umask?: number; additionalGids?: number[]; username?: string }

export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface Rlimit { type: string; hard: Int64; soft: Int64 }

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
}

export interface Hook { path: string; args?: string[]; env?: string[]; timeout?: number }

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export interface IdMapping { containerID: number; hostID: number; size: number }

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface Namespace { type: NamespaceType; path?: string }

export interface Device {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface DeviceCgroup { allow: boolean; type?: string; major?: number; minor?: number; access?: string }

export interface Resources {
  devices?: DeviceCgroup[];
  memory?: {
    limit?: Int64; reservation?: Int64; swap?: Int64; kernel?: Int64; kernelTCP?: Int64;
    swappiness?: Int64; disableOOMKiller?: boolean; useHierarchy?: boolean; checkBeforeUpdate?: boolean;
  };
  cpu?: {
    shares?: Int64; quota?: Int64; burst?: Int64; period?: Int64; realtimeRuntime?: Int64; realtimePeriod?: Int64;
    cpus?: string; mems?: string; idle?: number;
  };
  pids?: { limit: Int64 };
  blockIO?: Record<string, unknown>;
  hugepageLimits?: { pageSize: string; limit: Int64 }[];
  network?: { classID?: number; priorities?: { name: string; priority: number }[] };
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>;
  unified?: Record<string, string>;
}

export interface Seccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: Int64; valueTwo?: Int64; op: string }[] }[];
}

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  timeOffsets?: Record<string, { secs?: number; nanosecs?: number }>;
  devices?: Device[];
  cgroupsPath?: string;
  resources?: Resources;
  rootfsPropagation?: string;
  seccomp?: Seccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: { domain: string; flags?: string[] };
  intelRdt?: Record<string, unknown>;
  netDevices?: Record<string, { name?: string }>;
}

/** The runtime-spec state document. */
export interface State {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused';
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export const OCI_VERSION = '1.2.0';
