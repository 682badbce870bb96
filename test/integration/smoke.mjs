import t from 'tap';
import { makeBundle, fileRoot, runIn, uniqueId, leftovers, isRoot } from '../lib/bundle.mjs';

t.ok(isRoot, 'integration tests run as root');

t.test('run prints from inside the container, as pid 1 with its own hostname, and leaves nothing', (t) => {
  const b = makeBundle(['sh', '-c', 'echo "$(hostname) $$ $(id -u)"; exit 7']);
  const root = fileRoot(t);
  const id = uniqueId();
  const r = runIn(root, b, id);
  t.equal(r.stdout, 'ocits-test 1 0\n');
  t.equal(r.stderr, '');
  t.equal(r.status, 7, 'run exits with the container status');
  t.same(leftovers(root, b.dir, id), []);
  b.cleanup();
  t.end();
});
