// Error and debug output: one line on stderr ("ocits: <op>: <reason>") and,
// with --log, the same in the log file as text or one JSON object per line
// ({"level","msg","time"}), as containerd and podman parse it.
import * as fs from 'node:fs';

export interface LogOptions { file?: string; format?: 'text' | 'json'; debug?: boolean }

let opts: LogOptions = {};

export function configureLog(o: LogOptions): void {
  opts = o;
  if (o.file) fs.closeSync(fs.openSync(o.file, 'a', 0o644));
}

function record(level: string, msg: string): string {
  const time = new Date().toISOString();
  return opts.format === 'json'
    ? JSON.stringify({ level, msg, time }) + '\n'
    : `time="${time}" level=${level} msg="${msg.replace(/"/g, '\\"')}"\n`;
}

function toFile(level: string, msg: string): void {
  if (opts.file) fs.appendFileSync(opts.file, record(level, msg));
}

export function logError(msg: string): void {
  const line = msg.replace(/\s*\n\s*/g, ' ');
  toFile('error', line);
  process.stderr.write(`ocits: ${line}\n`);
}

export function logWarn(msg: string): void {
  toFile('warning', msg);
  if (!opts.file) process.stderr.write(`ocits: warning: ${msg}\n`);
}

/** With --debug: to the log file, or to stderr without one, in the log's format (as runc). */
export function logDebug(msg: string): void {
  if (!opts.debug) return;
  if (opts.file) toFile('debug', msg);
  else fs.writeSync(2, record('debug', msg));
}
