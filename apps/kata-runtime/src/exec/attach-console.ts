import type { Duplex, Readable, Writable } from 'node:stream';

export interface ConsoleStdin extends Readable {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
}

/**
 * Joins the terminal to the guest's debug console until the guest side closes (the shell
 * exited). Raw mode on a TTY so that ^C, ^D and arrow keys reach the guest's pty instead of
 * killing this process. As in Kata, the end of stdin does not close the console: the guest
 * shell's `exit` does.
 */
export function attachConsole(conn: Duplex, stdin: ConsoleStdin, stdout: Writable): Promise<void> {
  const raw = Boolean(stdin.isTTY && stdin.setRawMode);
  if (raw) stdin.setRawMode?.(true);
  stdin.pipe(conn, { end: false });
  conn.pipe(stdout, { end: false });
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      stdin.unpipe(conn);
      if (raw) stdin.setRawMode?.(false);
      stdin.pause();
      conn.destroy();
      if (err) reject(err);
      else resolve();
    };
    conn.on('end', () => done());
    conn.on('close', () => done());
    conn.on('error', (err) => done(err));
  });
}
