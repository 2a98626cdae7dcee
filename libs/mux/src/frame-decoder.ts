import { decodeHeader, FrameType, HEADER_SIZE, PROTOCOL_VERSION, type FrameHeader } from './frame-header';
import { MuxError } from './mux-error';

/** Receives decoded frames. Any method may throw (a protocol error) or call decoder.stop(). */
export interface FrameSink {
  /** A header arrived; for a Data frame its payload follows through data(), then end(). */
  header(header: FrameHeader): void;
  /** A piece of the current Data frame's payload (never empty). */
  data(chunk: Buffer): void;
  /** The frame, payload included, is complete. */
  end(header: FrameHeader): void;
}

/**
 * Turns a byte stream cut at arbitrary points into frames. Payloads are streamed to the sink as
 * they arrive (no reassembly), so the sink can check a Data header against the stream's window
 * before any byte is buffered: a lying length cannot make us allocate.
 */
export class FrameDecoder {
  readonly #sink: FrameSink;
  readonly #partial = Buffer.alloc(HEADER_SIZE);
  #partialLength = 0;
  #current: FrameHeader | undefined;
  #remaining = 0;
  #stopped = false;

  constructor(sink: FrameSink) {
    this.#sink = sink;
  }

  /** Throws MuxError('PROTOCOL') on an unknown version or type; sink errors propagate. */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.#stopped) {
      if (this.#current) {
        const n = Math.min(this.#remaining, chunk.length - offset);
        this.#remaining -= n;
        this.#sink.data(chunk.subarray(offset, offset + n));
        offset += n;
        if (this.#remaining === 0 && !this.#stopped) this.#finish();
        continue;
      }
      let source = chunk;
      let at = offset;
      if (this.#partialLength === 0 && chunk.length - offset >= HEADER_SIZE) {
        offset += HEADER_SIZE;
      } else {
        const n = Math.min(HEADER_SIZE - this.#partialLength, chunk.length - offset);
        chunk.copy(this.#partial, this.#partialLength, offset, offset + n);
        this.#partialLength += n;
        offset += n;
        if (this.#partialLength < HEADER_SIZE) return;
        this.#partialLength = 0;
        source = this.#partial;
        at = 0;
      }
      this.#begin(source, at);
    }
  }

  /** Ignores all further input (the session is gone). */
  stop(): void {
    this.#stopped = true;
  }

  #begin(source: Buffer, at: number): void {
    const { version, ...header } = decodeHeader(source, at);
    if (version !== PROTOCOL_VERSION) {
      this.#stopped = true;
      throw new MuxError('PROTOCOL', `invalid yamux version ${version}`);
    }
    if (header.type > FrameType.GoAway) {
      this.#stopped = true;
      throw new MuxError('PROTOCOL', `invalid yamux frame type ${header.type}`);
    }
    this.#sink.header(header);
    if (this.#stopped) return;
    if (header.type === FrameType.Data && header.length > 0) {
      this.#current = header;
      this.#remaining = header.length;
    } else {
      this.#sink.end(header);
    }
  }

  #finish(): void {
    const header = this.#current as FrameHeader;
    this.#current = undefined;
    this.#sink.end(header);
  }
}
