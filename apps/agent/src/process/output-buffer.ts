import type { Readable } from 'node:stream';
import { EndOfStreamError } from '../errors';

/** Default bound of buffered, not yet read output per stream. */
export const OUTPUT_BUFFER_LIMIT = 1 << 20;

/**
 * A process's stdout or stderr for the pull RPCs (ReadStdout/ReadStderr). Buffers up to
 * `limit` bytes, then pauses the source so the pipe fills and the writer blocks
 * (backpressure instead of loss). After the source ends and the buffer is drained, `read`
 * throws EndOfStreamError.
 */
export class OutputBuffer {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #ended = false;
  #waiters: (() => void)[] = [];
  #markDrained: () => void = () => {};
  /** Resolves once a reader has been told EOF (or the buffer was destroyed). */
  readonly drained = new Promise<void>((resolve) => (this.#markDrained = resolve));

  constructor(
    readonly name: string,
    readonly source: Readable,
    readonly limit = OUTPUT_BUFFER_LIMIT,
  ) {
    source.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      if (this.#size >= this.limit) source.pause();
      this.#wake();
    });
    const end = () => {
      this.#ended = true;
      this.#wake();
    };
    source.once('end', end);
    source.once('close', end);
    source.once('error', end);
    // An empty stream can reach its end before anyone listens ('end' needs no reader then).
    if (source.readableEnded || source.destroyed) this.#ended = true;
  }

  get buffered(): number {
    return this.#size;
  }

  get ended(): boolean {
    return this.#ended && this.#size === 0;
  }

  /**
   * Up to `max` bytes, as the chunks the source delivered (not joined: the answer is encoded
   * around them); waits for data; throws EndOfStreamError after end and drain. A caller that gave
   * up (`signal`, e.g. its connection closed) takes nothing, so no output is lost.
   */
  async read(max: number, signal?: AbortSignal): Promise<Buffer[]> {
    while (this.#size === 0) {
      if (this.#ended) {
        this.#markDrained();
        throw new EndOfStreamError(this.name);
      }
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    signal?.throwIfAborted();
    const parts: Buffer[] = [];
    let taken = 0;
    while (taken < max && this.#chunks.length > 0) {
      const head = this.#chunks[0]!;
      const want = max - taken;
      if (head.length <= want) {
        parts.push(head);
        this.#chunks.shift();
        taken += head.length;
      } else {
        parts.push(head.subarray(0, want));
        this.#chunks[0] = head.subarray(want);
        taken += want;
      }
    }
    this.#size -= taken;
    if (this.#size < this.limit && this.source.isPaused() && !this.#ended) this.source.resume();
    return parts;
  }

  /** Drops the source (the process is being removed); pending reads see EOF. */
  destroy(): void {
    this.source.destroy();
    this.#ended = true;
    this.#markDrained();
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
