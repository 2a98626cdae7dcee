import { StatusError } from '@kata-ts/errors';
import type { Logger } from '@kata-ts/logging';
import { Code, TtrpcError } from '@kata-ts/ttrpc';

/**
 * The one mapping from errors to the Kata agent API's statuses. The agent's errors are all
 * StatusErrors (those of @kata-ts/errors, EndOfStreamError, CommandError), whose code is a status
 * name: `Code[code]` compiles only while every StatusCode is one. A cancelled call is CANCELLED;
 * anything untyped is a bug, INTERNAL.
 */
export function toTtrpcError(error: unknown): TtrpcError {
  if (error instanceof TtrpcError) return error;
  if (error instanceof StatusError) return new TtrpcError(Code[error.code], error.message, { cause: error });
  if (error instanceof Error && error.name === 'AbortError') return new TtrpcError(Code.CANCELLED, 'call cancelled', { cause: error });
  return new TtrpcError(Code.INTERNAL, error instanceof Error ? error.message : String(error), { cause: error });
}

/** Wraps a handler so every failure leaves as a proper status, logged once. */
export function wrapHandler<Req, Res, Ctx>(log: Logger, name: string, handler: (request: Req, ctx: Ctx) => Promise<Res>) {
  return async (request: Req, ctx: Ctx): Promise<Res> => {
    try {
      return await handler(request, ctx);
    } catch (error) {
      const status = toTtrpcError(error);
      const level = status.code === Code.INTERNAL ? 'error' : 'debug';
      log[level]({ rpc: name, code: status.codeName, err: status.message }, 'rpc failed');
      throw status;
    }
  };
}
