import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { MessageCodec } from './service-definition';

/**
 * A message's wire form as the parts it is made of, in order. Large `bytes` values (a process's
 * output, a stdin batch) are parts of their own, by reference: they reach the socket without
 * being copied into the encoding, the frame, and the envelope around it.
 */
export type Encoded = readonly Uint8Array[];

export const EMPTY_ENCODED: Encoded = [];

/**
 * A unary answer its handler encoded itself, as parts: the server sends them as they are. For an
 * answer made of many buffers (a process's output as its pipe delivered it), which encoding would
 * first have to join into one.
 */
export class EncodedResponse<T> {
  declare readonly message?: T;
  constructor(readonly parts: Encoded) {}
}

/** From this size a top-level `bytes` value is spliced in, not copied. */
export const SPLICE_MIN = 16 << 10;
/** Past this size the writer's grown buffer is dropped rather than kept for the next message. */
const KEEP_LIMIT = 64 * 1024;

/**
 * A writer that splices large top-level `bytes` values: their tag and length go into the buffer,
 * the value becomes a part. Inside a nested message (a fork) values are copied as usual, since
 * the fork's length is counted in the buffer.
 */
class SplicingWriter extends BinaryWriter {
  #parts: Uint8Array[] = [];
  #depth = 0;

  override fork(): this {
    this.#depth++;
    return super.fork();
  }

  override join(): this {
    this.#depth--;
    return super.join();
  }

  override bytes(value: Uint8Array): this {
    if (this.#depth > 0 || value.byteLength < SPLICE_MIN) return super.bytes(value);
    this.uint32(value.byteLength);
    this.#cut();
    this.#parts.push(value);
    return this;
  }

  /** The parts written since the last call; the writer is empty again. */
  finishParts(): Uint8Array[] {
    this.#cut();
    const parts = this.#parts;
    this.#parts = [];
    return parts;
  }

  #cut(): void {
    const head = super.finish();
    if (head.length > 0) this.#parts.push(head);
  }
}

let shared = new SplicingWriter();

/**
 * Encodes with one reused writer (encoding is synchronous, so sharing is safe): a fresh
 * ts-proto writer allocates and regrows its buffer for every message, which showed up as the
 * top cost of small calls.
 */
export function encodeMessage<T>(codec: MessageCodec<T>, message: T): Encoded {
  try {
    codec.encode(message, shared);
    const parts = shared.finishParts();
    if (byteLength(parts) > KEEP_LIMIT) shared = new SplicingWriter();
    return parts;
  } catch (err) {
    shared = new SplicingWriter();
    throw err;
  }
}

/**
 * `message` followed by field `fieldNo` of type bytes holding `value`, whose parts are not copied
 * (an envelope's payload). Protobuf readers take fields in any order; an empty value is omitted,
 * as proto3 does.
 */
export function appendBytesField(message: Encoded, fieldNo: number, value: Encoded): Encoded {
  const length = byteLength(value);
  if (length === 0) return message;
  // The shared writer, not a new one: this runs for every reply that has a payload.
  shared.tag(fieldNo, WireType.LengthDelimited).uint32(length);
  return [...message, ...shared.finishParts(), ...value];
}

export function byteLength(parts: Encoded): number {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  return length;
}
