// podman's `container checkpoint` / `container restore` (on pipes and with -t; --export / --import of a
// checkpoint tarball) through ocits, each scenario also with runc. podman (4.x) asks
// go-criu for CRIU on PATH, so a directory holding a `criu` link to the CRIU the tests
// found (test/lib/criu.mjs) goes first on PATH; ocits finds it there too.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNTIMES, IMAGE, isRoot, missing, startPodman, waitFor } from './lib.mjs';
import { findCriu } from '../lib/criu.mjs';

const criu = findCriu();
const need = missing(['podman', 'conmon', 'runc']);
if (!isRoot || need.length || !criu.path) {
  t.fail(!isRoot ? 'engine tests need root' : need.length ? `missing ${need.join(', ')} (run scripts/setup.sh)` : `no working CRIU: ${criu.error}`);
} else {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ocits-criu-bin-'));
  fs.symlinkSync(criu.path, path.join(bin, 'criu'));
  process.env.PATH = `${bin}:${process.env.PATH}`;
  delete process.env.OCITS_CRIU;
  const env = startPodman();
  t.teardown(() => {
    const left = env.close();
    fs.rmSync(bin, { recursive: true, force: true });
    if (left.length) t.fail(`podman left: ${left.join('; ')}`);
  });
  const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done';

  for (const rt of RUNTIMES) {
    const podman = (args) => env.podman(rt.name, args);
    const numbers = (name) => podman(['logs', name]).stdout.split('\n').filter(Boolean).map(Number);
    const last = (name) => numbers(name).at(-1) ?? 0;
    const status = (name) => podman(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim();
    const consecutive = (t, list, what) => t.same(list, list.map((_, i) => list[0] + i), `${what}: ${list[0]}..${list.at(-1)}, no gap, no restart`);

    for (const tty of [[], ['-t']]) t.test(`${rt.name}: podman container checkpoint / restore of a counter ${tty.length ? 'on a terminal' : 'on pipes'}`, async (t) => {
      const name = `cr-${rt.name}${tty.length ? '-t' : ''}-${process.pid}`;
      t.teardown(() => podman(['rm', '-f', '-t', '0', name]));
      const r = podman(['run', '-d', ...tty, '--name', name, IMAGE, 'sh', '-c', COUNTER]);
      t.equal(r.status, 0, r.stderr);
      t.ok(await waitFor(() => last(name) >= 5), 'counting');
      const ck = podman(['container', 'checkpoint', name]);
      t.equal(ck.status, 0, ck.stderr);
      t.equal(status(name), 'exited', 'checkpointed: no longer running');
      const frozen = last(name);
      const rs = podman(['container', 'restore', name]);
      t.equal(rs.status, 0, rs.stderr);
      t.equal(status(name), 'running');
      t.ok(await waitFor(() => last(name) > frozen + 3), `counting on from ${frozen}`);
      consecutive(t, numbers(name), 'the log');

      const lr = podman(['container', 'checkpoint', '--leave-running', name]);
      t.equal(lr.status, 0, lr.stderr);
      t.equal(status(name), 'running', '--leave-running');
      const now = last(name);
      t.ok(await waitFor(() => last(name) > now + 3), 'still counting');
    });

    t.test(`${rt.name}: podman container checkpoint --export, restore --import`, async (t) => {
      const name = `crx-${rt.name}-${process.pid}`;
      const tar = path.join(env.dir, `${name}.tar.gz`);
      t.teardown(() => podman(['rm', '-f', '-t', '0', name]));
      const r = podman(['run', '-d', '--name', name, IMAGE, 'sh', '-c', COUNTER]);
      t.equal(r.status, 0, r.stderr);
      t.ok(await waitFor(() => last(name) >= 5), 'counting');
      const ck = podman(['container', 'checkpoint', '--export', tar, name]);
      t.equal(ck.status, 0, ck.stderr);
      t.ok(fs.statSync(tar).size > 0, 'the checkpoint archive');
      const frozen = last(name);
      t.equal(podman(['rm', '-f', '-t', '0', name]).status, 0);
      const rs = podman(['container', 'restore', '--import', tar]);
      t.equal(rs.status, 0, rs.stderr);
      t.equal(status(name), 'running', 'a container again, from the archive');
      t.ok(await waitFor(() => last(name) > frozen + 3), `counting on from ${frozen}`);
      // The archive carries the container's log: a counter started anew would repeat 1, 2, ...
      const after = numbers(name);
      t.equal(after[0], 1, 'the log came along in the archive');
      consecutive(t, after, 'the imported container\'s log');
    });
  }
}
