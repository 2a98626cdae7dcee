import { Code, TtrpcError } from '@kata-ts/ttrpc';
import { ConfigError } from '@kata-ts/config';

/** Stable error classes; each maps to one ttrpc code in `toTtrpcError`, the only mapping. */
export type ShimErrorCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'INVALID_ARGUMENT'
  | 'UNIMPLEMENTED'
  | 'DEADLINE_EXCEEDED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const brand = Symbol.for('kata-ts.ShimError');

export class ShimError extends Error {
  readonly code: ShimErrorCode;
  constructor(code: ShimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShimError';
    this.code = code;
  }
  get [brand](): true {
    return true;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

export class NotFoundError extends ShimError {
  constructor(what: string) {
    super('NOT_FOUND', `${what}: not found`);
  }
}
export class AlreadyExistsError extends ShimError {
  constructor(what: string) {
    super('ALREADY_EXISTS', `${what}: already exists`);
  }
}
export class FailedPreconditionError extends ShimError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}
export class InvalidArgumentError extends ShimError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
export class NotImplementedError extends ShimError {
  constructor(what: string) {
    super('UNIMPLEMENTED', `${what}: not implemented by kata-ts`);
  }
}
/** The VM or the agent did not answer in time. */
export class SandboxTimeoutError extends ShimError {
  constructor(message: string, cause?: unknown) {
    super('DEADLINE_EXCEEDED', message, { cause });
  }
}
/** The VM, proxy or agent went away. */
export class SandboxUnavailableError extends ShimError {
  constructor(message: string, cause?: unknown) {
    super('UNAVAILABLE', message, { cause });
  }
}

const CODES: Record<ShimErrorCode, Code> = {
  NOT_FOUND: Code.NOT_FOUND,
  ALREADY_EXISTS: Code.ALREADY_EXISTS,
  FAILED_PRECONDITION: Code.FAILED_PRECONDITION,
  INVALID_ARGUMENT: Code.INVALID_ARGUMENT,
  UNIMPLEMENTED: Code.UNIMPLEMENTED,
  DEADLINE_EXCEEDED: Code.DEADLINE_EXCEEDED,
  UNAVAILABLE: Code.UNAVAILABLE,
  INTERNAL: Code.INTERNAL,
};

/**
 * The one mapping from domain errors to ttrpc statuses. containerd turns the code back into its
 * errdefs class (NotFound → "not found"), and shows the message to the `ctr` user, so messages
 * must say what to fix. Agent errors (already TtrpcError) pass through with their code.
 */
export function toTtrpcError(err: unknown): TtrpcError {
  if (err instanceof TtrpcError) return err;
  if (err instanceof ShimError) return new TtrpcError(CODES[err.code], err.message, { cause: err });
  if (err instanceof ConfigError) return new TtrpcError(Code.INVALID_ARGUMENT, `kata-ts configuration: ${err.message}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new TtrpcError(Code.INTERNAL, message, { cause: err });
}
