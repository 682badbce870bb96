// One session with `criu swrk 3`: CRIU gets one end of a SOCK_SEQPACKET socketpair as
// fd 3 (and `extraFds` as fds 4, 5, ...), we send one criu_req, answer its notifications
// (NOTIFY -> notify_success) and return the final criu_resp. CRIU opens the image and
// work directory fds named in the request through /proc/<our pid>/fd (its peer).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as libc from '../sys/libc';
import { recvMessage, sendMessage } from '../sys/seqpacket';
import { decodeResponse, encodeRequest, type CriuReq, type CriuResp } from './rpc';

const AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000;

export class CriuError extends Error {}

export interface SwrkOptions {
  criu: string;
  /** CRIU's stdin, stdout, stderr (restore: the restored process inherits its pipes); default /dev/null. */
  stdio?: [number | 'ignore', number | 'ignore', number | 'ignore'];
  /** More fds for CRIU, numbered from 4 in its table (inherit_fd of external namespaces). */
  extraFds?: number[];
  /** CRIU's log, named in error messages. */
  logPath?: string;
  /** Called once CRIU runs, before the request is sent (restore moves it into the cgroups). */
  onStart?: (criuPid: number) => void;
  /** A notification (post-dump, setup-namespaces, post-restore, orphan-pts-master...) with the fds it carried. */
  onNotify?: (script: string, pid: number, fds: number[]) => void;
}

export async function criuSwrk(req: CriuReq, o: SwrkOptions): Promise<CriuResp> {
  const [client, server] = libc.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC);
  let child: ChildProcess;
  try {
    const stdio: (number | 'ignore')[] = [...(o.stdio ?? ['ignore' as const, 'ignore' as const, 'ignore' as const]), server, ...(o.extraFds ?? [])];
    child = spawn(o.criu, ['swrk', '3'], { stdio });
  } finally {
    // Ours closed at once: if CRIU dies, our reads see end of stream instead of hanging.
    libc.close(server);
  }
  const exited = new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  if (child.pid === undefined) {
    libc.close(client);
    const r = await exited;
    throw new CriuError(`cannot run CRIU ${o.criu}: ${r.error?.message ?? 'spawn failed'}`);
  }
  let resp: CriuResp | undefined;
  let failure: unknown;
  try {
    o.onStart?.(child.pid);
    resp = converse(client, req, o);
  } catch (e) {
    failure = e;
  } finally {
    libc.close(client);
  }
  const st = await exited;
  if (failure) throw failure;
  // A pre-dump leaves CRIU waiting for the next request; it ends when we close.
  if (st.code !== 0 && req.type !== 'PRE_DUMP') {
    throw new CriuError(`criu failed: ${st.signal ? `killed by ${st.signal}` : `exit status ${st.code}`}${logHint(o.logPath)}`);
  }
  return resp!;
}

function converse(sock: number, req: CriuReq, o: SwrkOptions): CriuResp {
  sendMessage(sock, encodeRequest(req));
  for (;;) {
    const m = recvMessage(sock);
    if (m.data.length === 0) throw new CriuError(`criu failed: type ${req.type}: CRIU closed the connection${logHint(o.logPath)}`);
    if (m.truncated) throw new CriuError('criu: response too large');
    const resp = decodeResponse(m.data);
    if (!resp.success) {
      for (const fd of m.fds) libc.close(fd);
      // CRIU's last error; its harmless RLIMIT_NOFILE complaint is no reason.
      const msg = resp.cr_errmsg && !/RLIMIT_NOFILE/.test(resp.cr_errmsg) ? `: ${resp.cr_errmsg.trim()}` : '';
      throw new CriuError(`criu failed: type ${req.type} errno ${resp.cr_errno ?? 0}${msg}${logHint(o.logPath)}`);
    }
    if (resp.type !== 'NOTIFY') return resp;
    try {
      o.onNotify?.(resp.notify?.script ?? '', resp.notify?.pid ?? 0, m.fds);
    } finally {
      for (const fd of m.fds) libc.close(fd);
    }
    sendMessage(sock, encodeRequest({ type: 'NOTIFY', notify_success: true }));
  }
}

/** "; log file: PATH: <first error CRIU logged>", or "" without a log. */
export function logHint(logPath: string | undefined): string {
  if (!logPath) return '';
  let first = '';
  try {
    const line = fs.readFileSync(logPath, 'utf8').split('\n').find((l) => /\bError \(/.test(l) && !/RLIMIT_NOFILE/.test(l));
    if (line) first = ': ' + line.replace(/^\(\s*[\d.]+\)\s*/, '').replace(/^\d+: /, '').trim();
  } catch { /* no log */ }
  return `; log file: ${logPath}${first}`;
}
