import { KataError } from '@kata-ts/errors';

export type OciErrorCode = 'BAD_UINT64' | 'BAD_JSON';

/** A config.json (or OCI Process/LinuxResources JSON) that cannot be carried to the guest as given. */
export class OciError extends KataError<OciErrorCode> {}
