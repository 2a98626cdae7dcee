export type OciErrorCode = 'ERR_OCI_BAD_UINT64' | 'ERR_OCI_BAD_JSON';

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
