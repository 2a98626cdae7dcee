/** Stream messages (of the largest size) a connection holds for readers that have not taken them. */
export const STREAM_BUFFER_MESSAGES = 4;

/**
 * The bytes a connection may hold for readers that have not taken them yet (messages of streams a
 * handler or caller is slow to read), shared by all its calls: a peer that streams faster than
 * the other side reads costs at most this much, and its call fails instead (ttrpc in Go fails a
 * stream whose buffer is full the same way).
 */
export class ByteBudget {
  #used = 0;

  constructor(readonly limit: number) {}

  get used(): number {
    return this.#used;
  }

  /** Reserves `bytes`; false, reserving nothing, when that would pass the limit. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used -= bytes;
  }
}
