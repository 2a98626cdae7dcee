import { Duplex } from 'node:stream';

export interface DuplexPairOptions {
  /** Re-cuts every written chunk, to test decoders against arbitrary read boundaries. */
  rechunk?: (chunk: Buffer) => Buffer[];
  /** Readable/writable high-water mark of both ends (bytes). */
  highWaterMark?: number;
}

/**
 * Two connected in-memory Duplex ends with real backpressure: a write completes only once the
 * other end's reader has room, like a socket pair. Ending one end ends the other's readable side;
 * destroying one end ends the other's readable side too (the peer sees EOF).
 */
export function duplexPair(options: DuplexPairOptions = {}): [Duplex, Duplex] {
  const a = new PairEnd(options);
  const b = new PairEnd(options);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class PairEnd extends Duplex {
  peer!: PairEnd;
  readonly #rechunk: ((chunk: Buffer) => Buffer[]) | undefined;
  #blockedWrite: (() => void) | undefined;
  #eofSent = false;

  constructor(options: DuplexPairOptions) {
    super({ allowHalfOpen: true, highWaterMark: options.highWaterMark });
    this.#rechunk = options.rechunk;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer.destroyed || this.#eofSent) return callback();
    let ok = true;
    for (const piece of this.#rechunk ? this.#rechunk(chunk) : [chunk]) ok = peer.push(piece);
    if (ok) callback();
    else peer.#blockedWrite = callback;
  }

  override _read(): void {
    const resume = this.#blockedWrite;
    this.#blockedWrite = undefined;
    resume?.();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#sendEof();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#sendEof();
    const resume = this.peer.#blockedWrite;
    this.peer.#blockedWrite = undefined;
    resume?.();
    callback(error);
  }

  #sendEof(): void {
    if (this.#eofSent) return;
    this.#eofSent = true;
    if (!this.peer.destroyed) this.peer.push(null);
  }
}
