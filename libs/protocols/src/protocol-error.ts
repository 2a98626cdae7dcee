import { KataError } from '@kata-ts/errors';

/** Stable codes for failures of the helpers in this package (the generated codecs throw plain Errors). */
export type ProtocolErrorCode =
  | 'ANY_UNKNOWN_TYPE'
  | 'ANY_TYPE_MISMATCH';

export class ProtocolError extends KataError<ProtocolErrorCode> {}
