// linux.resources.unified keys name one file of the container's own cgroup:
// "../" or "/" could reach a parent's or a sibling's (GHSA-5g49-rx9x-qfc6).
import t from 'tap';
import plan from '../../dist/lib/cgroups/plan.js';

const ctx = { layout: 'hybrid', v1: new Set(['memory']), v2: new Set(['memory', 'pids']) };

t.test('keys with a path are refused; a plain file name is written', async (t) => {
  for (const k of ['../cgroup.procs', '../../x/memory.max', 'a/b', '/memory.max', '.', '..', 'memory.max\u0000x']) {
    t.throws(() => plan.planResources({ unified: { [k]: '1' } }, ctx), /must be a file name/, JSON.stringify(k));
  }
  const p = plan.planResources({ unified: { 'pids.max': '10' } }, ctx);
  t.ok(JSON.stringify(p).includes('pids.max'), 'control: pids.max is planned');
});
