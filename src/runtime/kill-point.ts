// A test hook: OCITS_TEST_KILL_AT=<phase> makes the command SIGKILL itself when it
// reaches that phase, so the crash tests (test/integration/concurrency.mjs) hit each
// window of create and exec for certain. Unset (production), it does nothing.
import * as libc from '../sys/libc';

export function killPoint(phase: string): void {
  if (process.env.OCITS_TEST_KILL_AT === phase) libc.kill(process.pid, 9);
}
