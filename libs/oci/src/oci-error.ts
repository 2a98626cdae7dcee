export type OciErrorCode = 'BAD_UINT64' | 'BAD_JSON';

/** A config.json (or OCI Process/LinuxResources JSON) that cannot be carried to the guest as given. */
export class OciError extends Error {
  override readonly name = 'OciError';

  constructor(
    readonly code: OciErrorCode,
    message: string,
  ) {
    super(message);
  }
}
