import type { Duplex } from 'node:stream';
import { encodeHeader, type FrameType } from './frame-header';

/** How long close() lets the transport flush (a last GoAway) before destroying it. */
const TRANSPORT_FLUSH_MS = 1000;

/**
 * Writes frames to the transport and tells writers when it has room again. Streams check
 * `writable` before each Data frame and wait otherwise; on 'drain' they are resumed in turn, and
 * those the transport had no room for go first the next time (round-robin, so no stream starves).
 */
export class FrameWriter {
  readonly #transport: Duplex;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(transport: Duplex) {
    this.#transport = transport;
    transport.on('drain', () => this.#onDrain());
  }

  /** False while the transport holds its high-water mark or more (an empty one always has room). */
  get writable(): boolean {
    const length = this.#transport.writableLength;
    return length === 0 || length < this.#transport.writableHighWaterMark;
  }

  /** Bytes written but not yet taken by the transport's peer. */
  get queuedBytes(): number {
    return this.#transport.writableLength;
  }

  /** Writes one frame; a no-op once closed. */
  write(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): void {
    const transport = this.#transport;
    if (this.#closed || !transport.writable) return;
    const header = encodeHeader({ type, flags, streamId, length });
    if (!payload) {
      transport.write(header);
      return;
    }
    // Corked, so header and payload leave in one writev.
    transport.cork();
    transport.write(header);
    transport.write(payload);
    transport.uncork();
  }

  onceWritable(resume: () => void): void {
    if (!this.#closed) this.#waiters.push(resume);
  }

  /** Stops writing; what was written is flushed, then the transport is destroyed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiters = [];
    const transport = this.#transport;
    if (transport.destroyed) return;
    const timer = setTimeout(() => transport.destroy(), TRANSPORT_FLUSH_MS);
    timer.unref();
    transport.once('close', () => clearTimeout(timer));
    transport.end(() => transport.destroy());
  }

  #onDrain(): void {
    const batch = this.#waiters;
    this.#waiters = [];
    for (let i = 0; i < batch.length; i++) {
      if (this.#closed) return;
      if (!this.writable) {
        this.#waiters = batch.slice(i).concat(this.#waiters);
        return;
      }
      (batch[i] as () => void)();
    }
  }
}
