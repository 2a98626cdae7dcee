import { DEFAULT_MAX_DATA_LENGTH, HEADER_LENGTH, readHeader, type FrameHeader } from './frame';

export type DecoderEvent =
  | { kind: 'frame'; header: FrameHeader; data: Uint8Array }
  /** A frame longer than the maximum: its data is skipped, never buffered. */
  | { kind: 'oversized'; header: FrameHeader };

export interface FrameDecoderOptions {
  /** Largest accepted data length; default 4 MiB. */
  maxDataLength?: number;
}

const enum State {
  Header,
  Data,
  Skip,
}

/**
 * Turns a byte stream cut into chunks of any size into ttrpc frames. Pure: no I/O, no timers.
 * Holds at most one header plus one frame's data (≤ max) at a time; whole frames inside a
 * chunk are returned as views of that chunk without copying.
 */
export class FrameDecoder {
  readonly maxDataLength: number;
  #state = State.Header;
  #header = Buffer.alloc(HEADER_LENGTH);
  #headerFilled = 0;
  #current: FrameHeader | undefined;
  #data: Uint8Array = new Uint8Array(0);
  #dataFilled = 0;
  #skipLeft = 0;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxDataLength = options.maxDataLength ?? DEFAULT_MAX_DATA_LENGTH;
  }

  /** Bytes currently held for an unfinished frame (header bytes + data bytes). */
  get buffered(): number {
    return this.#headerFilled + (this.#state === State.Data ? this.#dataFilled : 0);
  }

  /** True when no partial frame is pending (a clean point to end the stream). */
  get idle(): boolean {
    return this.#state === State.Header && this.#headerFilled === 0;
  }

  push(chunk: Uint8Array): DecoderEvent[] {
    const events: DecoderEvent[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.#state) {
        case State.Header: {
          if (this.#headerFilled === 0 && chunk.length - offset >= HEADER_LENGTH) {
            const header = readHeader(chunk, offset);
            offset += HEADER_LENGTH;
            // Fast path: the whole frame is inside this chunk.
            if (header.length <= this.maxDataLength && chunk.length - offset >= header.length) {
              events.push({ kind: 'frame', header, data: chunk.subarray(offset, offset + header.length) });
              offset += header.length;
            } else {
              this.#begin(header, events);
            }
            break;
          }
          const n = Math.min(HEADER_LENGTH - this.#headerFilled, chunk.length - offset);
          this.#header.set(chunk.subarray(offset, offset + n), this.#headerFilled);
          this.#headerFilled += n;
          offset += n;
          if (this.#headerFilled === HEADER_LENGTH) {
            this.#headerFilled = 0;
            this.#begin(readHeader(this.#header, 0), events);
          }
          break;
        }
        case State.Data: {
          const n = Math.min(this.#data.length - this.#dataFilled, chunk.length - offset);
          this.#data.set(chunk.subarray(offset, offset + n), this.#dataFilled);
          this.#dataFilled += n;
          offset += n;
          if (this.#dataFilled === this.#data.length) this.#finishData(events);
          break;
        }
        case State.Skip: {
          const n = Math.min(this.#skipLeft, chunk.length - offset);
          this.#skipLeft -= n;
          offset += n;
          if (this.#skipLeft === 0) this.#state = State.Header;
          break;
        }
      }
    }
    return events;
  }

  #begin(header: FrameHeader, events: DecoderEvent[]): void {
    if (header.length > this.maxDataLength) {
      events.push({ kind: 'oversized', header });
      this.#skipLeft = header.length;
      this.#state = State.Skip;
      return;
    }
    if (header.length === 0) {
      events.push({ kind: 'frame', header, data: new Uint8Array(0) });
      return;
    }
    this.#current = header;
    this.#data = new Uint8Array(header.length);
    this.#dataFilled = 0;
    this.#state = State.Data;
  }

  #finishData(events: DecoderEvent[]): void {
    events.push({ kind: 'frame', header: this.#current as FrameHeader, data: this.#data });
    this.#current = undefined;
    this.#data = new Uint8Array(0);
    this.#dataFilled = 0;
    this.#state = State.Header;
  }
}
