import { ttrpc } from '@kata-ts/protocols';
import { encodeMessage } from './encode-message';
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

// The generated types use Buffer for bytes; the encoder only needs Uint8Array semantics.
export function encodeRequest(request: RequestEnvelope): Uint8Array {
  return encodeMessage(ttrpc.Request, request as ttrpc.Request);
}

export function decodeRequest(data: Uint8Array): RequestEnvelope {
  return ttrpc.Request.decode(data);
}

export function encodeResponse(response: ResponseEnvelope): Uint8Array {
  return encodeMessage(ttrpc.Response, response as ttrpc.Response);
}

export function decodeResponse(data: Uint8Array): ResponseEnvelope {
  return ttrpc.Response.decode(data);
}
