// CRIU's RPC messages (criu_req / criu_resp of rpc.proto), encoded by protobufjs
// from the descriptor the build generates. Field names are the .proto's (snake_case).
import * as protobuf from 'protobufjs/light';
import descriptor from './generated/rpc.json';

export type ReqType = 'EMPTY' | 'DUMP' | 'RESTORE' | 'CHECK' | 'PRE_DUMP' | 'PAGE_SERVER' | 'NOTIFY' | 'CPUINFO_DUMP'
  | 'CPUINFO_CHECK' | 'FEATURE_CHECK' | 'VERSION' | 'WAIT_PID' | 'PAGE_SERVER_CHLD' | 'SINGLE_PRE_DUMP';

export interface CriuOpts {
  images_dir_fd: number;
  pid?: number;
  leave_running?: boolean;
  ext_unix_sk?: boolean;
  tcp_established?: boolean;
  evasive_devices?: boolean;
  shell_job?: boolean;
  file_locks?: boolean;
  log_level?: number;
  log_file?: string;
  notify_scripts?: boolean;
  root?: string;
  parent_img?: string;
  track_mem?: boolean;
  auto_dedup?: boolean;
  work_dir_fd?: number;
  ext_mnt?: { key: string; val: string }[];
  manage_cgroups?: boolean;
  cg_root?: { ctrl?: string; path: string }[];
  rst_sibling?: boolean;
  inherit_fd?: { key: string; fd: number }[];
  manage_cgroups_mode?: 'SOFT' | 'FULL' | 'STRICT' | 'IGNORE' | 'CG_NONE' | 'PROPS' | 'DEFAULT';
  external?: string[];
  empty_ns?: number;
  join_ns?: { ns: string; ns_file: string; extra_opt?: string }[];
  freeze_cgroup?: string;
  lazy_pages?: boolean;
  orphan_pts_master?: boolean;
  config_file?: string;
}

export interface CriuFeatures { mem_track?: boolean; lazy_pages?: boolean; pidfd_store?: boolean }

export interface CriuReq {
  type: ReqType;
  opts?: CriuOpts;
  notify_success?: boolean;
  keep_open?: boolean;
  features?: CriuFeatures;
}

export interface CriuResp {
  type: ReqType;
  success: boolean;
  dump?: { restored?: boolean };
  restore?: { pid: number };
  notify?: { script?: string; pid?: number };
  cr_errno?: number;
  features?: CriuFeatures;
  cr_errmsg?: string;
  version?: { major_number: number; minor_number: number; gitid?: string; sublevel?: number; extra?: number; name?: string };
  status?: number;
}

let types: { req: protobuf.Type; resp: protobuf.Type } | undefined;

function load(): NonNullable<typeof types> {
  if (!types) {
    const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
    types = { req: root.lookupType('criu_req'), resp: root.lookupType('criu_resp') };
  }
  return types;
}

export function encodeRequest(req: CriuReq): Uint8Array {
  const { req: T } = load();
  const msg = T.fromObject(req);
  const problem = T.verify(msg);
  if (problem) throw new Error(`criu request: ${problem}`);
  return T.encode(msg).finish();
}

export function decodeResponse(data: Uint8Array): CriuResp {
  const { resp: T } = load();
  return T.toObject(T.decode(data), { enums: String, defaults: false }) as CriuResp;
}
