import { createLogger, type Logger } from '@kata-ts/logging';

let logger: Logger | undefined;

/** Shared by sessions created without a logger; made on first use. */
export function defaultLogger(): Logger {
  logger ??= createLogger({ name: 'mux' });
  return logger;
}
