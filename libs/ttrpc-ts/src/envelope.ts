import { ttrpc } from '@kata-ts/protocols';
import { appendBytesField, EMPTY_ENCODED, encodeMessage, type Encoded } from './encode-message';
import type { KeyValueLike } from './metadata';
import type { StatusLike } from './status';

/** The ttrpc Request/Response messages that frame payloads carry (request.proto). */
export interface RequestEnvelope {
  service: string;
  method: string;
  payload: Uint8Array;
  timeoutNano: number;
  metadata: KeyValueLike[];
}

export interface ResponseEnvelope {
  status?: StatusLike | undefined;
  payload: Uint8Array;
}

/** Field numbers of `payload` in request.proto. */
const REQUEST_PAYLOAD = 3;
const RESPONSE_PAYLOAD = 2;
const NO_PAYLOAD = new Uint8Array(0);

// The payload is appended as parts, not copied into the envelope (see Encoded); the generated
// types use Buffer for bytes, the encoder only needs Uint8Array semantics.
export function encodeRequest(request: Omit<RequestEnvelope, 'payload'>, payload: Encoded): Encoded {
  return appendBytesField(encodeMessage(ttrpc.Request, { ...request, payload: NO_PAYLOAD } as ttrpc.Request), REQUEST_PAYLOAD, payload);
}

export function decodeRequest(data: Uint8Array): RequestEnvelope {
  return ttrpc.Request.decode(data);
}

export function encodeResponse(status: StatusLike | undefined, payload: Encoded = EMPTY_ENCODED): Encoded {
  return appendBytesField(encodeMessage(ttrpc.Response, { status, payload: NO_PAYLOAD } as ttrpc.Response), RESPONSE_PAYLOAD, payload);
}

export function decodeResponse(data: Uint8Array): ResponseEnvelope {
  return ttrpc.Response.decode(data);
}
