import type { Writable } from 'node:stream';
import { Code } from './code';
import { byteLength, type Encoded } from './encode-message';
import { DEFAULT_MAX_DATA_LENGTH, encodeFrameParts, HEADER_LENGTH, type MessageType } from './frame';
import { TtrpcError } from './ttrpc-error';

/**
 * Default bound of bytes written but not taken by the peer (queued here and in the stream): four
 * frames of the largest size. A peer that reads nothing costs at most this much.
 */
export const DEFAULT_MAX_QUEUED_BYTES = 16 << 20;
/** What a queued frame costs beyond its bytes (its Buffer, promise and queue entry): tiny replies count too. */
const FRAME_COST = 256;

export interface FrameWriterOptions {
  maxDataLength?: number;
  maxQueuedBytes?: number;
  /** Called once when the peer let more than maxQueuedBytes pile up; the writer then fails and the stream is destroyed. */
  onOverflow?: (queuedBytes: number) => void;
}

interface Pending {
  frame: Buffer[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The one writer of a connection. Each frame goes to the stream whole (its buffers back to back), in call order.
 * When the stream reports a full buffer, later frames wait in a queue until 'drain', and the
 * promise of each frame resolves only once it has been handed to the stream: callers that
 * await it (streaming senders) are slowed to the pace of the peer. Callers that do not await
 * (replies to pipelined requests) are bounded by maxQueuedBytes: past it the connection ends.
 */
export class FrameWriter {
  readonly #stream: Writable;
  readonly #maxDataLength: number;
  readonly #queue: Pending[] = [];
  readonly #maxQueuedBytes: number;
  readonly #onOverflow: ((queuedBytes: number) => void) | undefined;
  #queuedBytes = 0;
  #blocked = false;
  #corked = false;
  #error: Error | undefined;

  constructor(stream: Writable, options: FrameWriterOptions = {}) {
    this.#stream = stream;
    this.#maxDataLength = options.maxDataLength ?? DEFAULT_MAX_DATA_LENGTH;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.#onOverflow = options.onOverflow;
    stream.on('drain', () => this.#flush());
    stream.once('close', () => this.fail(new TtrpcError(Code.UNAVAILABLE, 'ttrpc: connection closed')));
  }

  write(streamId: number, type: MessageType, flags: number, data: Encoded): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    const length = byteLength(data);
    if (length > this.#maxDataLength) {
      return Promise.reject(
        new TtrpcError(Code.RESOURCE_EXHAUSTED, `message length ${length} exceeds maximum message size of ${this.#maxDataLength}`),
      );
    }
    const frame = encodeFrameParts(streamId, type, flags, data);
    const bytes = HEADER_LENGTH + length;
    if (!this.#blocked && this.#queue.length === 0) {
      this.#cork();
      this.#blocked = !this.#writeFrame(frame);
      return Promise.resolve();
    }
    const queued = this.#queuedBytes + bytes + FRAME_COST + this.#stream.writableLength;
    if (queued > this.#maxQueuedBytes) {
      const err = new TtrpcError(Code.RESOURCE_EXHAUSTED, `ttrpc: the peer does not read: ${queued} bytes queued, more than ${this.#maxQueuedBytes}`);
      this.#onOverflow?.(queued);
      this.fail(err);
      this.#stream.destroy();
      return Promise.reject(err);
    }
    this.#queuedBytes += bytes + FRAME_COST;
    return new Promise((resolve, reject) => this.#queue.push({ frame, bytes, resolve, reject }));
  }

  /** Rejects queued and future writes (the connection is gone). */
  fail(err: Error): void {
    if (this.#error) return;
    this.#error = err;
    this.#queuedBytes = 0;
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
      this.#queuedBytes -= pending.bytes + FRAME_COST;
      this.#blocked = !this.#writeFrame(pending.frame);
      pending.resolve();
    }
  }

  /** A frame's buffers back to back (nothing else writes to the stream); false once it is full. */
  #writeFrame(frame: Buffer[]): boolean {
    let room = true;
    for (const buffer of frame) room = this.#stream.write(buffer);
    return room;
  }
}
