// The skip policy (test/lib/skip.mjs) holds across the suite: no test file skips,
// plans nothing or exits early except through the policy's helpers, which fail
// under CI. A line may opt out only by saying why, with a `skip-policy:` comment.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../lib/bundle.mjs';

const FORBIDDEN = [
  [/\bt\.skip\(/, 't.skip()'],
  [/\bskip:\s*[^f\s]/, '{ skip } option'],
  [/\.plan\(0\b/, 'plan(0)'],
  [/\btodo:\s*[^\s]/, '{ todo } option'],
  [/process\.exit\(0\)/, 'process.exit(0)'],
];
// The policy itself, and the conformance harness whose { todo } still runs the clause.
const ALLOWED = new Set(['test/lib/skip.mjs', 'test/unit/skip-policy.mjs', 'conformance/lib/harness.mjs']);

function files(dir) {
  return fs.readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return files(rel);
    return e.name.endsWith('.mjs') ? [rel] : [];
  });
}

t.test('no skip bypasses the policy', async (t) => {
  const found = [];
  const all = [...files('test'), ...files('conformance')];
  t.ok(all.length > 40, `${all.length} test files read`);
  for (const f of all) {
    if (ALLOWED.has(f)) continue;
    const lines = fs.readFileSync(path.join(REPO, f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/skip-policy:/.test(line)) return;
      // A conformance clause's { todo } runs the clause (conformance/README.md).
      if (f.startsWith('conformance/') && /^\s*\{ todo:/.test(line)) return;
      // process.exit(0) right after a policy call (which failed or declared the skip).
      const prev = lines.slice(Math.max(0, i - 4), i + 1).join('\n');
      for (const [re, what] of FORBIDDEN) {
        if (!re.test(line)) continue;
        if (what === 'process.exit(0)' && /requires\(|notApplicable\(/.test(prev)) continue;
        found.push(`${f}:${i + 1}: ${what}: ${line.trim()}`);
      }
    });
  }
  t.same(found, [], 'skips go through test/lib/skip.mjs (requires, testIf, notApplicable)');
});

t.test('npm test runs as CI (skips fail)', async (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  t.match(pkg.scripts.test, /^CI=true /);
});
