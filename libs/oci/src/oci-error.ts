import { KataError } from '@kata-ts/errors';

export type OciErrorCode = 'BAD_UINT64' | 'BAD_JSON' | 'INVALID_SPEC';

/** A config.json (or OCI Process/LinuxResources JSON) that cannot be carried to the guest as given, or that runc would refuse. */
export class OciError extends KataError<OciErrorCode> {}
