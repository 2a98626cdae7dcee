import { MuxError } from './mux-error';

interface PendingPing {
  sentAt: number;
  resolve: (rttMs: number) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Outstanding pings by their opaque 32-bit value; settles them with the round-trip time. */
export class PingTracker {
  readonly #pending = new Map<number, PendingPing>();
  #nextValue = 0;

  /** Registers a ping and returns its value (to send) and the promise of its RTT in ms. */
  start(timeoutMs: number): { value: number; rtt: Promise<number> } {
    const value = this.#nextValue;
    this.#nextValue = (this.#nextValue + 1) >>> 0;
    const rtt = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(value);
        reject(new MuxError('TIMEOUT', `no ping reply within ${timeoutMs} ms`));
      }, timeoutMs);
      // A pending ping must not keep the process alive; the transport does that.
      timer.unref();
      this.#pending.set(value, { sentAt: performance.now(), resolve, reject, timer });
    });
    return { value, rtt };
  }

  /** A reply arrived; unknown values (late or forged) are ignored. */
  settle(value: number): void {
    const ping = this.#pending.get(value);
    if (!ping) return;
    this.#pending.delete(value);
    clearTimeout(ping.timer);
    ping.resolve(performance.now() - ping.sentAt);
  }

  rejectAll(error: Error): void {
    for (const ping of this.#pending.values()) {
      clearTimeout(ping.timer);
      ping.reject(error);
    }
    this.#pending.clear();
  }
}
