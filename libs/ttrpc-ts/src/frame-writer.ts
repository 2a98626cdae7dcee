import type { Writable } from 'node:stream';
import { Code } from './code';
import { DEFAULT_MAX_DATA_LENGTH, encodeFrame, type MessageType } from './frame';
import { TtrpcError } from './ttrpc-error';

interface Pending {
  frame: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The one writer of a connection. Each frame goes to the stream in one write, in call order.
 * When the stream reports a full buffer, later frames wait in a queue until 'drain', and the
 * promise of each frame resolves only once it has been handed to the stream: callers that
 * await it (streaming senders) are slowed to the pace of the peer.
 */
export class FrameWriter {
  readonly #stream: Writable;
  readonly #maxDataLength: number;
  readonly #queue: Pending[] = [];
  #blocked = false;
  #corked = false;
  #error: Error | undefined;

  constructor(stream: Writable, options: { maxDataLength?: number } = {}) {
    this.#stream = stream;
    this.#maxDataLength = options.maxDataLength ?? DEFAULT_MAX_DATA_LENGTH;
    stream.on('drain', () => this.#flush());
    stream.once('close', () => this.fail(new TtrpcError(Code.UNAVAILABLE, 'ttrpc: connection closed')));
  }

  write(streamId: number, type: MessageType, flags: number, data: Uint8Array): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (data.length > this.#maxDataLength) {
      return Promise.reject(
        new TtrpcError(Code.RESOURCE_EXHAUSTED, `message length ${data.length} exceeds maximum message size of ${this.#maxDataLength}`),
      );
    }
    const frame = encodeFrame(streamId, type, flags, data);
    if (!this.#blocked && this.#queue.length === 0) {
      this.#cork();
      this.#blocked = !this.#stream.write(frame);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#queue.push({ frame, resolve, reject }));
  }

  /** Rejects queued and future writes (the connection is gone). */
  fail(err: Error): void {
    if (this.#error) return;
    this.#error = err;
    for (const pending of this.#queue.splice(0)) pending.reject(err);
  }

  /** Frames written in the same tick leave in one writev: one syscall for many small replies. */
  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#stream.cork();
    process.nextTick(() => {
      this.#corked = false;
      this.#stream.uncork();
    });
  }

  #flush(): void {
    this.#blocked = false;
    while (!this.#blocked && this.#queue.length > 0) {
      const pending = this.#queue.shift() as Pending;
      this.#blocked = !this.#stream.write(pending.frame);
      pending.resolve();
    }
  }
}
