// The engines' real config.json files, vendored from the shared corpus into
// test/fixtures/corpus/ (see its README) so that CI has them. Placeholders
// (@BUNDLE@, @STATE@, @SANDBOX@, @HOSTDIR@) become one host directory whose bind
// sources are created on demand; @NETNS@ paths are dropped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './bundle.mjs';

export const CORPUS_DIR = path.join(REPO, 'test/fixtures/corpus');
const FILES = new Set(['hosts', 'hostname', 'resolv.conf', '.containerenv', 'record.sh']);

/** Every engine config ({ name: "engine/file.json", config }), placeholders pointing into `hostDir` when given. */
export function corpusConfigs(hostDir) {
  const out = [];
  for (const engine of ['podman', 'containerd', 'cri']) {
    for (const f of fs.readdirSync(path.join(CORPUS_DIR, engine)).sort()) {
      if (!f.endsWith('.json') || f.endsWith('.process.json')) continue;
      let text = fs.readFileSync(path.join(CORPUS_DIR, engine, f), 'utf8');
      if (hostDir) text = text.replace(/@(BUNDLE|STATE|SANDBOX|HOSTDIR)@/g, hostDir);
      const config = JSON.parse(text);
      for (const ns of config.linux?.namespaces ?? []) if (ns.path === '@NETNS@') delete ns.path;
      if (hostDir) makeSources(config, hostDir);
      out.push({ name: `${engine}/${f}`, config });
    }
  }
  return out;
}

function makeSources(config, hostDir) {
  for (const m of config.mounts ?? []) {
    if (typeof m.source !== 'string' || !m.source.startsWith(hostDir + '/') || fs.existsSync(m.source)) continue;
    if (FILES.has(path.basename(m.source))) {
      fs.mkdirSync(path.dirname(m.source), { recursive: true });
      fs.writeFileSync(m.source, '');
    } else fs.mkdirSync(m.source, { recursive: true });
  }
}
