// The `ocits` command line: runc's commands and flags, thin wrappers over the
// runtime library. Errors: one line on stderr, exit status 1.
import { Command, Option } from 'commander';
import { configureLog, logDebug, logError, logWarn } from './log';
import { registerCheckpointCommands } from './checkpoint';
import { defaultRoot, checkOwnRoot, isRootless, runningInUserNs } from '../runtime/state-root';
import { OCI_VERSION } from '../spec/types';

const VERSION = '0.1.0';
/** runc exec's status when the process could not be started. */
const EXEC_FAILURE = 255;

interface Globals { root: string; criu?: string; log?: string; logFormat: 'text' | 'json'; debug?: boolean; systemdCgroup?: boolean; rootless?: string }

function globals(cmd: Command): Globals {
  return cmd.optsWithGlobals() as unknown as Globals;
}

const euid = () => process.geteuid?.() ?? 0;

/** Not the host's root (runc's --rootless, auto: a non-zero euid, or root in a user namespace). */
function rootless(g: Globals): boolean {
  return isRootless(g.rootless, euid(), runningInUserNs());
}

/**
 * Runs a command body; any error becomes "ocits: <op>: <reason>" and exit status 1
 * (`failure`: exec's is 255 as runc's, so that it differs from the process's own 1).
 */
function action<A extends unknown[]>(op: string, body: (...args: A) => void | number | Promise<void | number>, failure = 1) {
  return async (...args: A) => {
    logDebug(`${op}: command line ${JSON.stringify(process.argv.slice(2))}, pid ${process.pid}`);
    try {
      const r = await body(...args);
      process.exitCode = typeof r === 'number' ? r : 0;
    } catch (e) {
      logError(`${op}: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = failure;
    }
    logDebug(`${op}: exit status ${process.exitCode}`);
  };
}

function intOption(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a non-negative integer: ${v}`);
  return n;
}

export function buildProgram(): Command {
  const program = new Command('ocits');
  program
    .enablePositionalOptions()
    .description('An OCI runtime: runs containers from OCI bundles')
    .option('--root <dir>', 'state directory', defaultRoot(euid(), process.env, runningInUserNs()))
    .option('--log <file>', 'log file (created even when empty)')
    .addOption(new Option('--log-format <format>', 'log format').choices(['text', 'json']).default('text'))
    .option('--debug', 'debug logging')
    .option('--systemd-cgroup', 'use the systemd cgroup path form slice:prefix:name')
    .addOption(new Option('--rootless <mode>', 'manage as an unprivileged user (cgroups only when delegated)').choices(['true', 'false', 'auto']).default('auto'))
    .option('--criu <path>', 'path to the criu binary (checkpoint, restore)')
    .version(`ocits version ${VERSION}\nspec: ${OCI_VERSION}`, '-v, --version')
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `ocits: ${s.slice(7)}` : s) })
    .hook('preAction', (p, cmd) => {
      const g = globals(cmd);
      configureLog({ file: g.log, format: g.logFormat, debug: g.debug });
      if (g.debug) (require('../runtime/debug') as typeof import('../runtime/debug')).setDebugSink(logDebug);
      // A default root under /tmp could have been made by someone else: refuse it then.
      if (p.getOptionValueSource('root') === 'default') {
        try { checkOwnRoot(g.root, euid()); } catch (e) { logError(`${cmd.name()}: ${(e as Error).message}`); process.exit(1); }
      }
    });

  const createFlags = (c: Command) => c
    .option('-b, --bundle <dir>', 'bundle directory', '.')
    .option('--pid-file <file>', 'write the init pid here')
    .option('--console-socket <path>', 'unix socket that receives the pty master')
    .option('--preserve-fds <n>', 'pass N more fds (from 3) to the container', intOption, 0)
    .option('--no-pivot', 'move + chroot instead of pivot_root')
    .option('--no-new-keyring', 'accepted')
    .argument('<id>', 'container id');

  createFlags(program.command('create').description('create a container'))
    .action(action('create', (id: string, o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const { createContainer } = require('../runtime/create') as typeof import('../runtime/create');
      const created = createContainer({ root: g.root, id, bundle: o.bundle as string, pidFile: o.pidFile as string | undefined,
        preserveFds: o.preserveFds as number, noPivot: o.pivot === false, systemdCgroup: g.systemdCgroup,
        consoleSocket: o.consoleSocket as string | undefined, rootless: rootless(g), warn: logWarn });
      (require('../runtime/debug') as typeof import('../runtime/debug')).debugCreated(created);
    }));

  createFlags(program.command('run').description('create and start a container, and wait for it'))
    .option('-d, --detach', 'return after start')
    .option('--keep', 'keep the container after it exits')
    .action(action('run', async (id: string, o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const { runContainer } = require('../runtime/run') as typeof import('../runtime/run');
      return runContainer({ root: g.root, id, bundle: o.bundle as string, pidFile: o.pidFile as string | undefined,
        preserveFds: o.preserveFds as number, noPivot: o.pivot === false, systemdCgroup: g.systemdCgroup,
        consoleSocket: o.consoleSocket as string | undefined, detach: o.detach === true, keep: o.keep === true,
        rootless: rootless(g), warn: logWarn });
    }));

  const collect = (v: string, prev: string[]) => [...prev, v];
  program.command('exec').description('run a process in a running container')
    .argument('<id>').argument('[command...]')
    .passThroughOptions()
    .option('-p, --process <file>', 'process.json (runtime-spec Process)')
    .option('-t, --tty', 'allocate a pty')
    .option('--console-socket <path>', 'unix socket that receives the pty master')
    .option('-d, --detach', 'return once the process started')
    .option('--pid-file <file>', 'write the process pid here')
    .option('--cwd <dir>', 'working directory')
    .option('-e, --env <var>', 'KEY=value (repeatable)', collect, [])
    .option('-u, --user <uid[:gid]>', 'user')
    .option('-g, --additional-gids <gid>', 'additional gid (repeatable)', (v: string, prev: number[]) => [...prev, intOption(v)], [] as number[])
    .option('-c, --cap <cap>', 'add a capability (repeatable)', collect, [])
    .option('--no-new-privs', 'set no_new_privs')
    .option('--preserve-fds <n>', 'pass N more fds', intOption, 0)
    .option('--apparmor <profile>', 'AppArmor profile (refused: ocits applies no AppArmor profile)')
    .option('--process-label <label>', 'SELinux label (refused: ocits applies no SELinux label)')
    .option('--ignore-paused', 'exec even if paused')
    .option('--cgroup <[controller,...:]path>', 'run in an existing sub-cgroup of the container (repeatable)', collect, [])
    .action(action('exec', async (id: string, command: string[], o: Record<string, unknown>, cmd: Command) => {
      const { execInContainer } = require('../runtime/exec') as typeof import('../runtime/exec');
      return execInContainer({
        root: globals(cmd).root, id, args: command, processFile: o.process as string | undefined, tty: o.tty === true,
        consoleSocket: o.consoleSocket as string | undefined, detach: o.detach === true, pidFile: o.pidFile as string | undefined,
        cwd: o.cwd as string | undefined, env: o.env as string[], user: o.user as string | undefined,
        additionalGids: o.additionalGids as number[], caps: o.cap as string[], noNewPrivs: o.newPrivs === false, // commander reads --no-X as X=false
        preserveFds: o.preserveFds as number, ignorePaused: o.ignorePaused === true, cgroups: o.cgroup as string[],
        apparmor: o.apparmor as string | undefined, processLabel: o.processLabel as string | undefined, warn: logWarn,
      });
    }, EXEC_FAILURE));

  program.command('start').description('start a created container').argument('<id>')
    .action(action('start', (id: string, _o: unknown, cmd: Command) => {
      require('../runtime/lifecycle').startContainer(globals(cmd).root, id);
    }));

  program.command('state').description('print the state of a container').argument('<id>')
    .action(action('state', (id: string, _o: unknown, cmd: Command) => {
      const st = require('../runtime/lifecycle').containerState(globals(cmd).root, id);
      process.stdout.write(JSON.stringify(st, null, 2) + '\n');
    }));

  program.command('kill').description('send a signal to the container init').argument('<id>').argument('[signal]', 'name or number', 'SIGTERM')
    .option('-a, --all', 'signal every process of the container')
    .action(action('kill', (id: string, signal: string, o: { all?: boolean }, cmd: Command) => {
      require('../runtime/lifecycle').killContainer(globals(cmd).root, id, signal, { all: o.all });
    }));

  program.command('delete').description('delete a container').argument('<id>')
    .option('-f, --force', 'kill a running container first; succeed when it does not exist')
    .action(action('delete', (id: string, o: { force?: boolean }, cmd: Command) => {
      require('../runtime/lifecycle').deleteContainer(globals(cmd).root, id, { force: o.force });
    }));

  program.command('list').alias('ls').description('list containers')
    .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'ids only')
    .action(action('list', (o: { format: string; quiet?: boolean }, cmd: Command) => {
      const { formatList } = require('./list') as typeof import('./list');
      process.stdout.write(formatList(require('../runtime/lifecycle').listContainers(globals(cmd).root), o));
    }));

  program.command('spec').description('write a default config.json')
    .option('-b, --bundle <dir>', 'where to write it', '.')
    .option('--rootless', 'a config for running without root')
    .action(action('spec', (o: { bundle: string; rootless?: boolean }) => {
      const { writeDefaultSpec } = require('../runtime/default-spec') as typeof import('../runtime/default-spec');
      writeDefaultSpec(o.bundle, o.rootless === true);
    }));

  program.command('features').description('print the features document (JSON)')
    .action(action('features', async (_o: unknown, cmd: Command) => {
      const { featuresDocument } = require('../runtime/features') as typeof import('../runtime/features');
      const { checkpointAnnotations } = require('../checkpoint/features') as typeof import('../checkpoint/features');
      const checkpoint = await checkpointAnnotations(globals(cmd).criu);
      process.stdout.write(JSON.stringify(featuresDocument(seccompFeaturesIfAny(), checkpoint, rootless(globals(cmd))), null, 2) + '\n');
    }));

  program.command('ps').description("list the container's processes").argument('<id>').argument('[ps-args...]')
    .passThroughOptions()
    .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
    .action(action('ps', (id: string, psArgs: string[], o: { format: string }, cmd: Command) => {
      process.stdout.write(resources().psContainer(globals(cmd).root, id, o.format, psArgs));
    }));

  program.command('update').description("change a running container's resources").argument('<id>')
    .option('-r, --resources <file>', 'LinuxResources JSON file, or - for stdin')
    .option('--memory <bytes>').option('--memory-swap <bytes>').option('--memory-reservation <bytes>')
    .option('--kernel-memory <bytes>').option('--kernel-memory-tcp <bytes>')
    .option('--cpu-share <n>', 'CPU shares (runc\'s spelling)').option('--cpu-shares <n>').option('--cpu-quota <n>').option('--cpu-period <n>')
    .option('--cpu-rt-period <n>').option('--cpu-rt-runtime <n>')
    .option('--cpuset-cpus <list>').option('--cpuset-mems <list>')
    .option('--pids-limit <n>').option('--blkio-weight <n>')
    .option('--l3-cache-schema <s>', 'accepted (no Intel RDT)').option('--mem-bw-schema <s>', 'accepted (no Intel RDT)')
    .action(action('update', (id: string, o: Record<string, string>, cmd: Command) => {
      resources().updateContainer(globals(cmd).root, id, o);
    }));

  program.command('pause').description('freeze every process of a container').argument('<id>')
    .action(action('pause', (id: string, _o: unknown, cmd: Command) => resources().pauseContainer(globals(cmd).root, id)));
  program.command('resume').description('thaw a paused container').argument('<id>')
    .action(action('resume', (id: string, _o: unknown, cmd: Command) => resources().resumeContainer(globals(cmd).root, id)));

  program.command('events').description('resource usage stats of a container (JSON lines)').argument('<id>')
    .option('--stats', 'print one stats object and exit')
    .option('--interval <duration>', 'time between stats, e.g. 5s, 500ms', '5s')
    .action(action('events', async (id: string, o: { stats?: boolean; interval: string }, cmd: Command) => {
      await resources().events(globals(cmd).root, id, { stats: o.stats, intervalMs: parseDuration(o.interval) },
        (line) => process.stdout.write(line + '\n'));
    }));

  registerCheckpointCommands(program, action, globals);
  // Usage errors name the command too ("ocits: start: missing required argument 'id'").
  for (const c of program.commands) {
    c.configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `ocits: ${c.name()}: ${s.slice(7)}` : s) });
  }
  return program;
}

function resources(): typeof import('../runtime/resources') {
  return require('../runtime/resources');
}

function seccompFeaturesIfAny(): object | undefined {
  try {
    const { seccompFeatures } = require('../linux/seccomp-data') as typeof import('../linux/seccomp-data');
    const { seccompFlagSupported } = require('../linux/seccomp') as typeof import('../linux/seccomp');
    return seccompFeatures(seccompFlagSupported);
  } catch {
    return undefined;
  }
}

/** "5s", "500ms", "1m", or plain seconds. */
function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m) throw new Error(`--interval: invalid duration "${v}"`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60000 : 1000);
}

/** Runs the command line (argv as in process.argv: node, script, args...). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    logError(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}

/**
 * Evaluates every lazily loaded command module (none loads koffi at load time), so
 * that a start-up snapshot built after this call holds them all, compiled.
 */
export function preloadCommandModules(): void {
  for (const load of [
    () => require('../runtime/create'), () => require('../runtime/run'), () => require('../runtime/exec'),
    () => require('../runtime/lifecycle'), () => require('./list'), () => require('../runtime/default-spec'),
    () => require('../runtime/features'), () => require('../runtime/resources'), () => require('../runtime/debug'),
    () => require('../linux/seccomp-data'), () => require('../linux/seccomp'),
  ]) load();
}
