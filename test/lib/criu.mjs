// Finds the CRIU the tests (and ocits, and runc --criu) use, as ocits does:
// $OCITS_CRIU, then a `criu` on PATH that passes `criu check`, then
// shared/tools/criu/criu beside the repository. Returns { path } or { error }.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './bundle.mjs';

const check = (p) => {
  if (!fs.existsSync(p)) return `${p}: not found`;
  const r = spawnSync(p, ['check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return r.status === 0 ? null : `${p}: criu check failed: ${(r.stdout + r.stderr).trim().split('\n').pop()}`;
};

export function findCriu() {
  const tried = [];
  if (process.env.OCITS_CRIU) {
    const p = path.resolve(process.env.OCITS_CRIU);
    const e = check(p);
    return e ? { error: `$OCITS_CRIU ${e}` } : { path: p };
  }
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, 'criu');
    if (!fs.existsSync(p)) continue;
    const e = check(p);
    if (!e) return { path: p };
    tried.push(e);
    break;
  }
  const shared = path.join(path.dirname(REPO), 'shared/tools/criu/criu');
  const e = check(shared);
  if (!e) return { path: shared };
  tried.push(e);
  return { error: tried.join('; ') };
}
