import { KataError } from '@kata-ts/errors';

export type FactoryErrorCode = 'UNSUPPORTED' | 'TEMPLATE_FAILED' | 'LOCKED';

/** Why a VM template cannot be made or used; the shim then boots the VM cold. */
export class FactoryError extends KataError<FactoryErrorCode> {}
