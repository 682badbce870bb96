// `checkpoint` and `restore`: runc's flags, over src/checkpoint (CRIU's RPC).
import type { Command } from 'commander';

type Action = <A extends unknown[]>(op: string, body: (...args: A) => void | number | Promise<void | number>) => (...args: A) => Promise<void>;
interface Globals { root: string; criu?: string; systemdCgroup?: boolean }

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerCheckpointCommands(program: Command, action: Action, globals: (cmd: Command) => Globals): void {
  program.command('checkpoint').description('checkpoint a running container').argument('<id>')
    .option('--image-path <dir>', 'path for saving criu image files (default ./checkpoint)')
    .option('--work-path <dir>', 'path for saving work files and logs')
    .option('--parent-path <dir>', 'path for previous criu image files in pre-dump (relative to --image-path)')
    .option('--leave-running', 'leave the process running after checkpointing')
    .option('--tcp-established', 'allow open tcp connections')
    .option('--ext-unix-sk', 'allow external unix sockets')
    .option('--shell-job', 'allow shell jobs')
    .option('--lazy-pages', 'use userfaultfd to lazily restore memory pages')
    .option('--file-locks', 'handle file locks, for safety')
    .option('--pre-dump', "dump container's memory information only, leave the container running after this")
    .option('--manage-cgroups-mode <mode>', "cgroups mode: 'soft' (default), 'full' and 'strict'")
    .option('--empty-ns <ns>', "create a namespace, but don't restore its properties (repeatable)", collect, [])
    .option('--auto-dedup', 'enable auto deduplication of memory images')
    .action(action('checkpoint', async (id: string, o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const { checkpointContainer } = require('../checkpoint/checkpoint') as typeof import('../checkpoint/checkpoint');
      await checkpointContainer({
        root: g.root, id, criu: g.criu, imagePath: o.imagePath as string | undefined, workPath: o.workPath as string | undefined,
        parentPath: o.parentPath as string | undefined, leaveRunning: o.leaveRunning === true,
        tcpEstablished: o.tcpEstablished === true, extUnixSk: o.extUnixSk === true, shellJob: o.shellJob === true,
        lazyPages: o.lazyPages === true, fileLocks: o.fileLocks === true, preDump: o.preDump === true,
        manageCgroupsMode: o.manageCgroupsMode as string | undefined, emptyNs: o.emptyNs as string[], autoDedup: o.autoDedup === true,
      });
    }));

  program.command('restore').description('restore a container from a previous checkpoint').argument('<id>')
    .option('--console-socket <path>', 'unix socket that receives the pty master')
    .option('--image-path <dir>', 'path to criu image files for restoring (default ./checkpoint)')
    .option('--work-path <dir>', 'path for saving work files and logs')
    .option('--tcp-established', 'allow open tcp connections')
    .option('--ext-unix-sk', 'allow external unix sockets')
    .option('--shell-job', 'allow shell jobs')
    .option('--file-locks', 'handle file locks, for safety')
    .option('--manage-cgroups-mode <mode>', "cgroups mode: 'soft' (default), 'full' and 'strict'")
    .option('-b, --bundle <dir>', 'path to the root of the bundle directory', '.')
    .option('-d, --detach', "detach from the container's process")
    .option('--pid-file <file>', 'specify the file to write the process id to')
    .option('--no-subreaper', 'disable the use of the subreaper used to reap reparented processes')
    .option('--no-pivot', 'accepted (CRIU sets up the root)')
    .option('--empty-ns <ns>', "create a namespace, but don't restore its properties (repeatable)", collect, [])
    .option('--auto-dedup', 'enable auto deduplication of memory images')
    .option('--lazy-pages', 'use userfaultfd to lazily restore memory pages')
    .action(action('restore', async (id: string, o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const { restoreContainer } = require('../checkpoint/restore') as typeof import('../checkpoint/restore');
      return restoreContainer({
        root: g.root, id, criu: g.criu, systemdCgroup: g.systemdCgroup, bundle: o.bundle as string,
        imagePath: o.imagePath as string | undefined, workPath: o.workPath as string | undefined,
        consoleSocket: o.consoleSocket as string | undefined, tcpEstablished: o.tcpEstablished === true,
        extUnixSk: o.extUnixSk === true, shellJob: o.shellJob === true, fileLocks: o.fileLocks === true,
        manageCgroupsMode: o.manageCgroupsMode as string | undefined, detach: o.detach === true,
        pidFile: o.pidFile as string | undefined, noSubreaper: o.subreaper === false,
        emptyNs: o.emptyNs as string[], autoDedup: o.autoDedup === true, lazyPages: o.lazyPages === true,
      });
    }));
}
