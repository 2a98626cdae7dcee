import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';

const CONSOLE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', TERM: 'vt100' };

/**
 * One debug console connection: the shell on a new pty (kata-agent-sys pty: Node cannot make
 * one), raw bytes both ways. The connection closes when the shell exits; the shell's session is
 * hung up when the connection goes away.
 */
export function serveDebugConsole(conn: Duplex, sysHelper: string, shell: string[], log: Logger): void {
  const child = spawn(sysHelper, ['pty', ...shell], { cwd: '/', env: CONSOLE_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  log.info({ pid: child.pid, shell }, 'debug console opened');
  child.stderr.setEncoding('utf8').on('data', (text: string) => log.warn({ text }, 'debug console helper'));
  conn.pipe(child.stdin);
  child.stdout.pipe(conn);
  child.stdin.on('error', () => {});
  conn.on('error', (err: Error) => log.debug({ err }, 'debug console connection'));
  child.once('error', (err) => {
    log.warn({ err }, 'debug console helper failed');
    conn.destroy();
  });
  conn.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGHUP');
  });
  child.once('exit', (code, signal) => log.info({ code, signal }, 'debug console closed'));
}
