import { createLogger, type Logger } from '@kata-ts/logging';

let logger: Logger | undefined;

/** Shared by servers and clients created without a logger; made on first use. */
export function defaultLogger(): Logger {
  logger ??= createLogger({ name: 'ttrpc' });
  return logger;
}
