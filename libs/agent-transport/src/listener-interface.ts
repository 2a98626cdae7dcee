import type { Logger } from '@kata-ts/logging';

/** A listening agent endpoint (see listen()). */
export interface Listener {
  readonly uri: string;
  /** Stops accepting; connections already handed out stay open. */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Accept and routing errors (the listener keeps going). */
  onError?: (error: Error) => void;
  /** serial://: pause before reopening the port once the host side went away. Default 100 ms. */
  reopenDelayMs?: number;
  /** serial://: logger for the channel and its mux session. Default: a 'vsock' logger on stderr. */
  logger?: Logger;
}
