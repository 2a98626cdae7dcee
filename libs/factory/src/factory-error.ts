export type FactoryErrorCode = 'UNSUPPORTED' | 'TEMPLATE_FAILED' | 'LOCKED';

/** Why a VM template cannot be made or used; the shim then boots the VM cold. */
export class FactoryError extends Error {
  override readonly name = 'FactoryError';
  constructor(
    readonly code: FactoryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
