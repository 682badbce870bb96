// The one error type of the cgroup module. Messages start with the config field
// (or the cgroup file) they are about, e.g. "linux.resources.memory.limit: ...".
import { SysError } from '../sys/errno';

export class CgroupError extends Error {
  /** The config field the error is about, when there is one (e.g. linux.resources.pids.limit). */
  readonly field?: string;
  /** errno name of the underlying failure, when a system call or file operation failed. */
  readonly code?: string;
  constructor(message: string, field?: string, code?: string) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'CgroupError';
    this.field = field;
    this.code = code;
  }
}

/** errno name of a node:fs error or a SysError, if any. */
export function errCode(e: unknown): string | undefined {
  if (e instanceof SysError) return e.code;
  if (e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string') return (e as { code: string }).code;
  return undefined;
}

/** A short text for an underlying failure: "EINVAL (invalid argument)"-like. */
export function errText(e: unknown): string {
  const code = errCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  if (!code) return msg;
  return msg.includes(code) ? msg : `${code}: ${msg}`;
}
