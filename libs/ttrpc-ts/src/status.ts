import { Code } from './code';
import { TtrpcError, type AnyDetail } from './ttrpc-error';

/** google.rpc.Status, structurally (matches the generated `rpc.Status`). */
export interface StatusLike {
  code: number;
  message: string;
  details: AnyDetail[];
}

/** Node errno codes with a natural status, as Go's ttrpc maps os.IsNotExist and friends. */
const ERRNO_CODES: Record<string, Code> = {
  ENOENT: Code.NOT_FOUND,
  EEXIST: Code.ALREADY_EXISTS,
  EPERM: Code.PERMISSION_DENIED,
  EACCES: Code.PERMISSION_DENIED,
  EINVAL: Code.INVALID_ARGUMENT,
};

/**
 * What a handler's failure becomes on the wire. TtrpcError keeps its code; an AbortError
 * (the call's signal) becomes CANCELLED or DEADLINE_EXCEEDED; errno errors map like Go's
 * ttrpc; anything else is UNKNOWN with the error's message.
 */
export function toStatus(err: unknown): StatusLike {
  if (err instanceof TtrpcError) return { code: err.code, message: err.message, details: err.details };
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return { code: Code.DEADLINE_EXCEEDED, message: err.message, details: [] };
    if (err.name === 'AbortError') return { code: Code.CANCELLED, message: err.message, details: [] };
    const errno = (err as NodeJS.ErrnoException).code;
    const code = errno === undefined ? undefined : ERRNO_CODES[errno];
    return { code: code ?? Code.UNKNOWN, message: err.message, details: [] };
  }
  return { code: Code.UNKNOWN, message: String(err), details: [] };
}

/** The error for a non-OK status, or undefined when the status is absent or OK. */
export function fromStatus(status: StatusLike | undefined): TtrpcError | undefined {
  if (status === undefined || status.code === Code.OK) return undefined;
  return new TtrpcError(status.code, status.message, { details: status.details });
}
