import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { MessageCodec } from './service-definition';

/** Past this size the writer's grown buffer is dropped rather than kept for the next message. */
const KEEP_LIMIT = 64 * 1024;
let shared = new BinaryWriter();

/**
 * Encodes with one reused writer (encoding is synchronous, so sharing is safe): a fresh
 * ts-proto writer allocates and regrows its buffer for every message, which showed up as the
 * top cost of small calls.
 */
export function encodeMessage<T>(codec: MessageCodec<T>, message: T): Uint8Array {
  try {
    const bytes = codec.encode(message, shared).finish();
    if (bytes.length > KEEP_LIMIT) shared = new BinaryWriter();
    return bytes;
  } catch (err) {
    shared = new BinaryWriter();
    throw err;
  }
}
