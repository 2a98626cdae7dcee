import { KataError } from '@kata-ts/errors';

export type DeployErrorCode =
  | 'HOST_CHECK'
  | 'READ_ONLY'
  | 'CONFIG_FORMAT'
  | 'CONFIG_CHANGED'
  | 'NOT_OURS'
  | 'RESTART'
  | 'RUNTIME_NOT_LISTED'
  | 'LABEL';

/** An error kata-deploy reports as one log line naming what was wrong, then exits non-zero. */
export class DeployError extends KataError<DeployErrorCode> {}
