// Which CRIU to use, in this order: --criu PATH, $OCITS_CRIU, a `criu` on PATH that passes
// `criu check`, then shared/tools/criu/criu beside the repository (../shared from its root).
// An explicitly named CRIU must work; a failing one on PATH is passed over (Debian 12's
// criu 3.17 fails `criu check` on newer kernels).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { criuSwrk, CriuError } from './swrk';

export interface Candidate { path: string; from: string }

/** The repository root: bin/ocits and dist/ocits.js both sit one level below it. */
export function repoRoot(argv1 = process.argv[1]): string | undefined {
  if (!argv1) return undefined;
  try { return path.dirname(path.dirname(fs.realpathSync(argv1))); } catch { return undefined; }
}

export function candidates(explicit: string | undefined, env: NodeJS.ProcessEnv, root: string | undefined): Candidate[] {
  if (explicit) return [{ path: path.resolve(explicit), from: '--criu' }];
  if (env.OCITS_CRIU) return [{ path: path.resolve(env.OCITS_CRIU), from: '$OCITS_CRIU' }];
  const out: Candidate[] = [];
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, 'criu');
    if (out.some((c) => c.path === p)) continue;
    if (isExecutable(p)) { out.push({ path: p, from: 'PATH' }); break; }
  }
  if (root) out.push({ path: path.join(path.dirname(root), 'shared/tools/criu/criu'), from: '../shared/tools/criu' });
  return out;
}

function isExecutable(p: string): boolean {
  try { fs.accessSync(p, fs.constants.X_OK); return fs.statSync(p).isFile(); } catch { return false; }
}

/** Why `criu check` fails, or undefined when it passes. */
export function criuCheckProblem(criu: string): string | undefined {
  if (!isExecutable(criu)) return 'not found or not executable';
  const r = spawnSync(criu, ['check'], { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return `cannot run it: ${r.error.message}`;
  if (r.status === 0) return undefined;
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /^Error|Error \(/.test(l)) ?? lines[lines.length - 1] ?? `exit status ${r.status}`;
  return `\`criu check\` failed: ${err}`;
}

export interface Located { path: string; from: string; version: number; versionText: string }

/** The first working CRIU, or an error naming each one tried and why it failed. */
export async function locateCriu(explicit?: string, minVersion = 31500): Promise<Located> {
  const tried: string[] = [];
  for (const c of candidates(explicit, process.env, repoRoot())) {
    const problem = criuCheckProblem(c.path);
    if (problem) { tried.push(`${c.path} (${c.from}): ${problem}`); continue; }
    let v;
    try { v = await criuVersion(c.path); } catch (e) { tried.push(`${c.path} (${c.from}): ${(e as Error).message}`); continue; }
    if (v.version < minVersion) {
      tried.push(`${c.path} (${c.from}): CRIU version ${v.version} must be ${minVersion} or higher`);
      continue;
    }
    return { path: c.path, from: c.from, ...v };
  }
  if (tried.length === 0) tried.push('no criu on PATH, $OCITS_CRIU unset, no shared/tools/criu beside the repository');
  throw new CriuError(`no working CRIU: ${tried.join('; ')}; name one with --criu PATH or $OCITS_CRIU`);
}

/** CRIU's version over RPC, as runc counts it: major*10000 + minor*100 + sublevel. */
export async function criuVersion(criu: string): Promise<{ version: number; versionText: string }> {
  let v;
  try {
    v = (await criuSwrk({ type: 'VERSION' }, { criu })).version;
  } catch (e) {
    throw new CriuError(`CRIU version check failed: ${criu}: ${(e as Error).message}`);
  }
  if (!v) throw new CriuError(`CRIU version check failed: ${criu} did not report its version`);
  const sub = v.sublevel ?? 0;
  return {
    version: v.major_number * 10000 + v.minor_number * 100 + sub,
    versionText: `${v.major_number}.${v.minor_number}${sub ? `.${sub}` : ''}${v.gitid ? ` (${v.gitid})` : ''}`,
  };
}
