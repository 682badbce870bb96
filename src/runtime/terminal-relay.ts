// `run` of a terminal container without --console-socket: ocits itself holds
// the pty master and relays it to the user's terminal, in raw mode, passing on
// window-size changes, as `runc run` does.
import * as tty from 'node:tty';
import { setWindowSize } from '../linux/console';

export interface TerminalRelay { finish(): Promise<void> }

/** The size of ocits's own terminal, if its stdout is one: the pty gets it before the process runs. */
export function ownTerminalSize(): { height: number; width: number } | undefined {
  const out = process.stdout;
  return out.isTTY && out.rows > 0 && out.columns > 0 ? { height: out.rows, width: out.columns } : undefined;
}

export function relayTerminal(master: number): TerminalRelay {
  const pty = new tty.ReadStream(master);
  const stdin = process.stdin;
  const rawWas = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) stdin.setRawMode(true);
  const resize = () => {
    if (process.stdout.isTTY) setWindowSize(master, process.stdout.rows, process.stdout.columns);
  };
  resize();
  process.stdout.on('resize', resize);
  stdin.pipe(pty);
  pty.pipe(process.stdout, { end: false });
  // The container's exit closes the slave: the master then reads EIO, which ends the relay.
  const done = new Promise<void>((resolve) => {
    pty.on('error', () => resolve());
    pty.on('end', () => resolve());
    pty.on('close', () => resolve());
  });
  return {
    async finish() {
      await Promise.race([done, new Promise((r) => setTimeout(r, 500))]);
      process.stdout.off('resize', resize);
      stdin.unpipe(pty);
      if (stdin.isTTY) stdin.setRawMode(rawWas);
      stdin.pause();
      pty.destroy();
    },
  };
}
