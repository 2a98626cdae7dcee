import type { Logger } from '@kata-ts/logging';
import { Code, TtrpcError } from '@kata-ts/ttrpc';
import { AgentError, type AgentErrorCode } from '../errors';

const CODES: Record<AgentErrorCode, Code> = {
  INVALID_ARGUMENT: Code.INVALID_ARGUMENT,
  NOT_FOUND: Code.NOT_FOUND,
  ALREADY_EXISTS: Code.ALREADY_EXISTS,
  FAILED_PRECONDITION: Code.FAILED_PRECONDITION,
  OUT_OF_RANGE: Code.OUT_OF_RANGE,
  DEADLINE_EXCEEDED: Code.DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED: Code.RESOURCE_EXHAUSTED,
  UNIMPLEMENTED: Code.UNIMPLEMENTED,
  INTERNAL: Code.INTERNAL,
};

/** The one mapping from domain errors to ttrpc statuses; anything untyped is INTERNAL. */
export function toTtrpcError(error: unknown): TtrpcError {
  if (error instanceof TtrpcError) return error;
  if (AgentError.is(error)) return new TtrpcError(CODES[error.code], error.message, { cause: error });
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
