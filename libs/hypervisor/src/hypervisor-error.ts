import { KataError } from '@kata-ts/errors';

export type HypervisorErrorCode = 'START_FAILED' | 'NOT_RUNNING' | 'QMP_ERROR' | 'QMP_CLOSED' | 'TIMEOUT' | 'NOT_SUPPORTED' | 'BAD_CONFIG' | 'NO_CAPACITY';

/** A VM lifecycle failure with a stable code. */
export class HypervisorError extends KataError<HypervisorErrorCode> {}
