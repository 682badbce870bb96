// Entry of the start-up snapshot (dist/ocits.blob): every module of the CLI is
// loaded and evaluated when the snapshot is built, so a command starts from a
// ready heap instead of compiling the bundle. koffi is native and cannot be in
// a snapshot; it is still loaded on first use. Nothing here may capture
// per-process state (argv, env, pid, time) at load time.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { buildProgram, main, preloadCommandModules } from './main';
import { configureKoffiLoading } from '../sys/koffi';

preloadCommandModules();
// Compiles commander's and the command table's code into the snapshot too.
buildProgram().helpInformation();
v8.startupSnapshot.setDeserializeMainFunction(() => {
  // The launcher passes its own resolved path as argv[1]: bin/ocits, next to node_modules.
  const self = path.resolve(process.argv[1]);
  configureKoffiLoading({ require: createRequire(self), distDir: path.join(path.dirname(self), '../dist') });
  void main(process.argv);
});
