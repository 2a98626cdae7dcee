import { Code } from './code';
import { TtrpcError } from './ttrpc-error';

export interface GuardOptions {
  /** Time allowed for the call; sent to the server as timeout_nano. */
  timeoutMs?: number;
  /** Aborting gives up the call locally with CANCELLED (ttrpc has no cancel frame). */
  signal?: AbortSignal;
}

/** setTimeout's limit; longer deadlines are sent on the wire but not timed locally. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The local end of a client call: its deadline timer and abort listener, failing the call once. */
export class CallGuard {
  #timer: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  /** Throws if the call is over before it starts (aborted signal, non-positive timeout). */
  constructor(options: GuardOptions, fail: (err: TtrpcError) => void) {
    const { timeoutMs, signal } = options;
    if (signal?.aborted) throw cancelled(signal.reason);
    if (timeoutMs !== undefined && timeoutMs <= 0) throw deadlineExceeded();
    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
      this.#timer = setTimeout(() => {
        this.dispose();
        fail(deadlineExceeded());
      }, timeoutMs);
    }
    if (signal) {
      this.#signal = signal;
      this.#onAbort = () => {
        this.dispose();
        fail(cancelled(signal.reason));
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
  }
}

/** timeout_nano for a call's Request: the relative time left, 0 for none. */
export function timeoutNano(timeoutMs: number | undefined): number {
  return timeoutMs === undefined ? 0 : Math.round(timeoutMs * 1e6);
}

function deadlineExceeded(): TtrpcError {
  return new TtrpcError(Code.DEADLINE_EXCEEDED, 'ttrpc: deadline exceeded');
}

function cancelled(reason: unknown): TtrpcError {
  return new TtrpcError(Code.CANCELLED, 'ttrpc: call cancelled', { cause: reason });
}
