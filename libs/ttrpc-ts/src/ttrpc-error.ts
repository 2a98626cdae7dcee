import { Code, codeName } from './code';

/** google.protobuf.Any as carried in google.rpc.Status details. */
export interface AnyDetail {
  typeUrl: string;
  value: Uint8Array;
}

/**
 * A failed ttrpc call: a gRPC status code, the peer's message and any status details. Thrown by
 * clients for non-OK responses and by handlers to choose the status sent back. Not a KataError:
 * its code is the numeric wire status (whatever a peer sends), the status that the shim's and the
 * agent's boundaries translate their KataErrors into.
 */
export class TtrpcError extends Error {
  override readonly name = 'TtrpcError';
  readonly code: Code;
  readonly details: AnyDetail[];

  constructor(code: Code, message: string, options: { details?: AnyDetail[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? [];
  }

  /** `NOT_FOUND`, `UNAVAILABLE`, ...: stable for logs and switch statements. */
  get codeName(): string {
    return codeName(this.code);
  }
}
