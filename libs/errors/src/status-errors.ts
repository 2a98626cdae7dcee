import { KataError } from './kata-error';

/**
 * The status classes (gRPC's canonical names) that the shim's and the agent's own failures fall
 * into. A StatusError's code is its status: both ttrpc boundaries send the status of that name.
 */
export type StatusCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'DEADLINE_EXCEEDED'
  | 'UNAVAILABLE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL';

export class StatusError extends KataError<StatusCode> {}

export class InvalidArgumentError extends StatusError {
  constructor(message: string, options?: ErrorOptions) {
    super('INVALID_ARGUMENT', message, options);
  }
}

export class NotFoundError extends StatusError {
  constructor(message: string, options?: ErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

export class AlreadyExistsError extends StatusError {
  constructor(message: string, options?: ErrorOptions) {
    super('ALREADY_EXISTS', message, options);
  }
}

export class FailedPreconditionError extends StatusError {
  constructor(message: string, options?: ErrorOptions) {
    super('FAILED_PRECONDITION', message, options);
  }
}

/** Something (the VM, the agent, a container's processes) did not answer or finish in time. */
export class DeadlineExceededError extends StatusError {
  constructor(message: string, options?: ErrorOptions) {
    super('DEADLINE_EXCEEDED', message, options);
  }
}

/** Something needed went away (the VM, kata-proxy, the agent). */
export class UnavailableError extends StatusError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNAVAILABLE', message, options);
  }
}

export class UnimplementedError extends StatusError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNIMPLEMENTED', message, options);
  }
}

export class InternalError extends StatusError {
  constructor(message: string, options?: ErrorOptions) {
    super('INTERNAL', message, options);
  }
}
