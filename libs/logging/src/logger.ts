import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** The process or subsystem: shim, agent, proxy, ... (pino's `name`). */
  name: string;
  /** Where logs go: a file descriptor or a path. Default: stderr (fd 2), never stdout. */
  destination?: number | string;
  /** pino level; default: $KATA_TS_LOG_LEVEL, else 'info'. */
  level?: string;
  /** Fields on every line, e.g. { sandbox, container }. */
  bindings?: Record<string, unknown>;
}

/**
 * A structured logger. Writes synchronously so that lines logged just before a process exits
 * (the shim's `delete`, a dying agent) are not lost. Never defaults to stdout: containerd reads
 * the shim's stdout as the reply to `start` and `delete`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? 2;
  if (destination === 1) throw new Error('logging: refusing to log to stdout (fd 1)');
  const level = options.level ?? process.env.KATA_TS_LOG_LEVEL ?? 'info';
  const stream = pino.destination({ dest: destination, sync: true, mkdir: typeof destination === 'string' });
  return pino({ name: options.name, level, base: { pid: process.pid, ...options.bindings } }, stream);
}
