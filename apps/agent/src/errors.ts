/**
 * The agent's typed errors. Domain code throws these; the RPC layer maps `code` to a ttrpc
 * status in one place (rpc/wrap-handler.ts). Codes are gRPC status names.
 */
export type AgentErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'DEADLINE_EXCEEDED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNIMPLEMENTED'
  | 'INTERNAL';

const BRAND = Symbol.for('kata-ts.agent.AgentError');

export class AgentError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  static is(value: unknown): value is AgentError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

export class InvalidArgumentError extends AgentError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

export class NotFoundError extends AgentError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class AlreadyExistsError extends AgentError {
  constructor(message: string) {
    super('ALREADY_EXISTS', message);
  }
}

export class FailedPreconditionError extends AgentError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

/** End of a process's output stream: ReadStdout/ReadStderr answer this once drained. */
export class EndOfStreamError extends AgentError {
  constructor(what: string) {
    super('OUT_OF_RANGE', `EOF: ${what}`);
  }
}

export class DeadlineExceededError extends AgentError {
  constructor(message: string) {
    super('DEADLINE_EXCEEDED', message);
  }
}

/** A host command (crun, mount, ...) failed; the message carries its own words. */
export class CommandError extends AgentError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    detail: string,
  ) {
    super('INTERNAL', `${command} failed (exit ${exitCode ?? 'signal'}): ${detail.trim() || 'no output'}`);
  }
}
