// The suite's skip policy: a test that cannot run must not vanish. Under CI
// (CI=true, which `npm test` sets) a missing precondition is a failure; only a
// developer's run (no CI) may skip. The one exception is `notApplicable`, for a
// condition the calling file explains in words cannot hold on a CI machine
// (Debian 12 as root, set up by scripts/setup.sh). test/unit/skip-policy.mjs
// checks that no test file skips any other way.
export const CI = /^(true|1)$/i.test(process.env.CI ?? '');

/** Python as Debian installs it (scripts/setup.sh), not whatever PATH finds first. */
export const PYTHON3 = '/usr/bin/python3';

/**
 * True when `cond` holds. Otherwise: under CI a failure, elsewhere a skip
 * (with `why`); the caller then leaves out what needed the condition.
 */
export function requires(t, cond, why) {
  if (cond) return true;
  if (CI) t.fail(`cannot run: ${why} (CI=true: a test that cannot run fails)`);
  else t.skip(why);
  return false;
}

/** t.test(name, fn) when `cond` holds; otherwise a subtest that fails under CI, or is skipped elsewhere. */
export function testIf(t, cond, why, name, fn) {
  if (cond) return t.test(name, fn);
  return t.test(name, (t) => { requires(t, false, why); t.end(); });
}

/**
 * A declared skip: the calling file says, next to the call, why this condition
 * cannot hold on a CI machine. Skipped everywhere, also under CI.
 */
export function notApplicable(t, name, why) {
  return t.test(name, { skip: `not applicable here: ${why}` }, () => {});
}
