export { KataError } from './kata-error';
export {
  AlreadyExistsError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  StatusError,
  UnavailableError,
  UnimplementedError,
  type StatusCode,
} from './status-errors';
