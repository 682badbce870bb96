// --pid-file: the file is made in its directory before anything starts, so a
// path that cannot be written fails the command before a process runs; the pid
// is written and renamed into place once known (atomic for readers).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from './state';

export interface PidFile { commit(pid: number): void; abort(): void }

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', ENOTDIR: 'not a directory', EROFS: 'read-only file system',
};

export function openPidFile(file: string): PidFile {
  const target = path.resolve(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new RuntimeError(`--pid-file ${file}: ${REASONS[code] ?? (e as Error).message}`);
  }
  let open = true;
  const close = () => { if (open) { open = false; fs.closeSync(fd); } };
  return {
    commit(pid) {
      fs.writeSync(fd, String(pid));
      close();
      fs.renameSync(tmp, target);
    },
    abort() {
      close();
      fs.rmSync(tmp, { force: true });
    },
  };
}
