// Side by side with runc (Debian's runc, installed by scripts/setup.sh): the
// same bundle run by the reference runtime, in a state root of its own.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const RUNC = '/usr/sbin/runc';

/** `runc run --bundle DIR ID` in a temp state root: { status, stdout, stderr }. */
export function runcRun(t, bundleDir, id) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runc-root-'));
  t.teardown(() => {
    spawnSync(RUNC, ['--root', root, 'delete', '--force', id]);
    fs.rmSync(root, { recursive: true, force: true });
  });
  const r = spawnSync(RUNC, ['--root', root, 'run', '--bundle', bundleDir, id], { encoding: 'utf8', input: '', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `runc ARGS` in `cwd`: { status, stdout, stderr }. */
export function runc(args, opts = {}) {
  const r = spawnSync(RUNC, args, { encoding: 'utf8', input: opts.input ?? '', cwd: opts.cwd, timeout: opts.timeout ?? 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
